//! The emulated instance: a realistic metadata tree (this project's own values,
//! shaped like EC2's and the aemm emulator's), as leaf paths and values.

use std::collections::BTreeMap;

/// Leaf path → value. Directories are implied by the paths.
pub fn instance() -> BTreeMap<String, String> {
    let mac = "0e:1f:2a:3b:4c:5d";
    let role = ROLE;
    let mut tree = BTreeMap::new();
    let mut put = |path: &str, value: &str| {
        tree.insert(path.to_owned(), value.to_owned());
    };
    let md = |rest: &str| format!("/latest/meta-data/{rest}");
    for (path, value) in [
        ("ami-id", "ami-0f1e2d3c4b5a69788"),
        ("ami-launch-index", "0"),
        ("ami-manifest-path", "(unknown)"),
        ("block-device-mapping/ami", "/dev/xvda"),
        ("block-device-mapping/root", "/dev/xvda"),
        ("block-device-mapping/ebs1", "sdb"),
        ("events/maintenance/scheduled", "[]"),
        ("events/maintenance/history", "[]"),
        ("hostname", "ip-10-20-30-40.eu-west-1.compute.internal"),
        ("instance-action", "none"),
        ("instance-id", "i-0a1b2c3d4e5f60718"),
        ("instance-life-cycle", "on-demand"),
        ("instance-type", "c7g.large"),
        ("local-hostname", "ip-10-20-30-40.eu-west-1.compute.internal"),
        ("local-ipv4", "10.20.30.40"),
        ("mac", mac),
        ("placement/availability-zone", "eu-west-1b"),
        ("placement/availability-zone-id", "euw1-az2"),
        ("placement/region", "eu-west-1"),
        ("placement/partition-number", "1"),
        ("profile", "default-hvm"),
        ("public-hostname", "ec2-203-0-113-25.eu-west-1.compute.amazonaws.com"),
        ("public-ipv4", "203.0.113.25"),
        (
            "public-keys/0/openssh-key",
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEmulatorKeyOnlyForTests0000000000000000000 imds-emulator",
        ),
        ("reservation-id", "r-0123456789abcdef0"),
        ("security-groups", "default\nimds-emulator-sg"),
        ("services/domain", "amazonaws.com"),
        ("services/partition", "aws"),
        ("tags/instance/Name", "imds-emulator"),
        ("tags/instance/Environment", "test"),
    ] {
        put(&md(path), value);
    }
    for (leaf, value) in [
        ("device-number", "0"),
        ("interface-id", "eni-0a1b2c3d4e5f60718"),
        ("local-hostname", "ip-10-20-30-40.eu-west-1.compute.internal"),
        ("local-ipv4s", "10.20.30.40"),
        ("mac", mac),
        ("owner-id", "123456789012"),
        ("public-ipv4s", "203.0.113.25"),
        ("security-group-ids", "sg-0a1b2c3d4e5f60718"),
        ("subnet-id", "subnet-0a1b2c3d"),
        ("subnet-ipv4-cidr-block", "10.20.30.0/24"),
        ("vpc-id", "vpc-0a1b2c3d"),
        ("vpc-ipv4-cidr-block", "10.20.0.0/16"),
    ] {
        put(&md(&format!("network/interfaces/macs/{mac}/{leaf}")), value);
    }
    put(
        &md("iam/info"),
        "{\n  \"Code\" : \"Success\",\n  \"LastUpdated\" : \"2026-11-26T15:12:40Z\",\n  \"InstanceProfileArn\" : \"arn:aws:iam::123456789012:instance-profile/imds-emulator-role\",\n  \"InstanceProfileId\" : \"AIPAEMULATOR0EXAMPLE1\"\n}",
    );
    // Served with a current expiration (see the service); here for the listings.
    put(&md(&format!("iam/security-credentials/{role}")), "");
    put(
        &md("identity-credentials/ec2/info"),
        "{\n  \"Code\" : \"Success\",\n  \"LastUpdated\" : \"2026-11-26T15:12:40Z\",\n  \"AccountId\" : \"123456789012\"\n}",
    );
    // Signed as EC2 signs it, with the test keys in emulator/identity (not
    // AWS's): bash emulator/identity/sign.sh makes these from the document.
    put("/latest/dynamic/instance-identity/document", IDENTITY_DOCUMENT);
    put("/latest/dynamic/instance-identity/rsa2048", include_str!("../identity/rsa2048"));
    put("/latest/dynamic/instance-identity/signature", include_str!("../identity/signature"));
    put("/latest/dynamic/instance-identity/pkcs7", include_str!("../identity/pkcs7"));
    put("/latest/dynamic/fws/instance-monitoring", "disabled");
    put("/latest/user-data", &user_data());
    tree
}

/// The public-key directory names as listed (`0=name`).
pub const PUBLIC_KEY_NAMES: [(&str, &str); 1] = [("0", "imds-emulator")];

/// The role's credentials: a Code of Success unless `code` says otherwise,
/// issued `updated` and expiring at `expiration` (Unix seconds), with an
/// `AccountId` for the extended API.
pub fn credentials(code: Option<&str>, updated: u64, expiration: u64, extended: bool) -> String {
    if let Some(code) = code {
        return format!(
            "{{\n  \"Code\" : \"{code}\",\n  \"Message\" : \"EC2 cannot assume the role {ROLE}.\",\n  \"LastUpdated\" : \"{}\"\n}}",
            rfc3339(updated)
        );
    }
    let account = if extended { ",\n  \"AccountId\" : \"123456789012\"" } else { "" };
    format!(
        "{{\n  \"Code\" : \"Success\",\n  \"LastUpdated\" : \"{}\",\n  \"Type\" : \"AWS-HMAC\",\n  \"AccessKeyId\" : \"ASIAEMULATOR0EXAMPLE\",\n  \"SecretAccessKey\" : \"emulator/secret/not+a+real+one+0000000000\",\n  \"Token\" : \"IQoJb3JpZ2luX2VjE{}\",\n  \"Expiration\" : \"{}\"{account}\n}}",
        rfc3339(updated),
        "EmulatorSessionToken".repeat(40),
        rfc3339(expiration)
    )
}

/// The instance's IAM role.
pub const ROLE: &str = "imds-emulator-role";

/// Unix seconds as RFC 3339 in UTC (`2026-11-26T21:47:55Z`).
pub fn rfc3339(secs: u64) -> String {
    let (year, month, day) = civil(secs);
    let (h, m, s) = (secs / 3600 % 24, secs / 60 % 60, secs % 60);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}Z")
}

/// Unix seconds as an HTTP date (RFC 9110, 5.6.7: `Thu, 26 Nov 2026 15:40:02 GMT`).
pub fn http_date(secs: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]; // 1970-01-01 was a Thursday
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let (year, month, day) = civil(secs);
    let (h, m, s) = (secs / 3600 % 24, secs / 60 % 60, secs % 60);
    let weekday = DAYS[(secs / 86_400 % 7) as usize];
    format!("{weekday}, {day:02} {} {year:04} {h:02}:{m:02}:{s:02} GMT", MONTHS[month as usize - 1])
}

/// The date (year, month, day) of Unix seconds, in UTC.
fn civil(secs: u64) -> (i64, i64, i64) {
    let days = (secs / 86_400) as i64;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The instance identity document, as signed (emulator/identity/document).
pub const IDENTITY_DOCUMENT: &str = include_str!("../identity/document");

/// The certificate that verifies the emulator's `rsa2048` (a test key, not AWS's).
pub const TEST_RSA2048_CERTIFICATE: &str = include_str!("../identity/test-rsa2048-cert.pem");

/// The certificate that verifies the emulator's `signature` (a test key, not AWS's).
pub const TEST_RSA_CERTIFICATE: &str = include_str!("../identity/test-rsa-cert.pem");

/// About 3 KB of cloud-init, enough for chunked encoding to split it.
fn user_data() -> String {
    let mut s = String::from("#!/bin/bash\nset -euo pipefail\n");
    for i in 0..60 {
        s.push_str(&format!("echo 'emulated provisioning step {i:03}' >> /var/log/provision.log\n"));
    }
    s
}

/// The dated API versions `/` lists before `latest`, as the EC2 User Guide's
/// example shows them; each serves the same tree as `latest` here (on EC2 the
/// older ones lack the newer categories).
pub const VERSIONS: [&str; 18] = [
    "1.0",
    "2007-01-19",
    "2007-03-01",
    "2007-08-29",
    "2007-10-10",
    "2007-12-15",
    "2008-02-01",
    "2008-09-01",
    "2009-04-04",
    "2011-01-01",
    "2011-05-01",
    "2012-01-12",
    "2014-02-25",
    "2014-11-05",
    "2015-10-20",
    "2016-04-19",
    "2016-06-30",
    "2016-09-02",
];

/// `path` with a dated version's prefix (`/2009-04-04/...`) read as
/// `/latest/...`; any other path as it is.
pub fn as_latest(path: &str) -> std::borrow::Cow<'_, str> {
    let mut parts = path.splitn(3, '/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(""), Some(version), rest) if VERSIONS.contains(&version) => {
            format!("/latest/{}", rest.unwrap_or_default()).into()
        }
        _ => path.into(),
    }
}

/// The listing of directory `dir` (ending in `/`), or `None` if it is not one.
pub fn listing(tree: &BTreeMap<String, String>, dir: &str) -> Option<String> {
    if dir == "/" {
        return Some(VERSIONS.iter().chain(&["latest"]).copied().collect::<Vec<_>>().join("\n"));
    }
    if dir == "/latest/" {
        // As on EC2: directories listed without a slash.
        return Some("dynamic\nmeta-data\nuser-data".to_owned());
    }
    let mut entries: Vec<String> = Vec::new();
    for path in tree.keys().filter_map(|p| p.strip_prefix(dir)) {
        let entry = match path.split_once('/') {
            Some((name, _)) => format!("{name}/"),
            None => path.to_owned(),
        };
        let entry = match (dir, PUBLIC_KEY_NAMES.iter().find(|(i, _)| entry == format!("{i}/"))) {
            ("/latest/meta-data/public-keys/", Some((index, name))) => format!("{index}={name}"),
            _ => entry,
        };
        if !entry.is_empty() && entries.last() != Some(&entry) {
            entries.push(entry);
        }
    }
    (!entries.is_empty()).then(|| entries.join("\n"))
}
