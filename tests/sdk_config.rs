//! The endpoint resolution agrees with aws-config's 14 test cases
//! (shared/peer-data/aws-config-rust/imds-config/imds-endpoint-tests.json,
//! transcribed here: `docs`, environment, config file, explicit endpoint and
//! mode, and the expected URL of the token request or an error), through the
//! pure `resolve` and through the std loader reading a real config file.

use imds::sdk_config::{ConfigError, EndpointMode, Origin, Settings, Source, resolve};

struct Case {
    docs: &'static str,
    env: &'static [(&'static str, &'static str)],
    config: Option<&'static str>,
    endpoint: Option<&'static str>,
    mode: Option<&'static str>,
    result: Result<&'static str, ConfigError>,
}

const CONFIG_FILE: &str = "AWS_CONFIG_FILE";

fn cases() -> Vec<Case> {
    let case = |docs, env, config, endpoint, mode, result| Case { docs, env, config, endpoint, mode, result };
    vec![
        case(
            "all fields unset, default endpoint",
            &[],
            None,
            None,
            None,
            Ok("http://169.254.169.254/latest/api/token"),
        ),
        case(
            "environment variable endpoint override",
            &[("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://override:456")],
            None,
            None,
            None,
            Ok("http://override:456/latest/api/token"),
        ),
        case(
            "profile endpoint override",
            &[(CONFIG_FILE, "config")],
            Some("[default]\nec2_metadata_service_endpoint = http://override:456"),
            None,
            None,
            Ok("http://override:456/latest/api/token"),
        ),
        case(
            "environment overrides profile",
            &[(CONFIG_FILE, "config"), ("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://override:456")],
            Some("[default]\nec2_metadata_service_endpoint = http://wrong:456"),
            None,
            None,
            Ok("http://override:456/latest/api/token"),
        ),
        case(
            "invalid endpoint mode override",
            &[("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "error")],
            None,
            None,
            None,
            Err(ConfigError::EndpointMode(Origin::Environment)),
        ),
        case(
            "ipv4 endpoint",
            &[("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv4")],
            None,
            None,
            None,
            Ok("http://169.254.169.254/latest/api/token"),
        ),
        case(
            "ipv6 endpoint",
            &[("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6")],
            None,
            None,
            None,
            Ok("http://[fd00:ec2::254]/latest/api/token"),
        ),
        case(
            "case insensitive endpoint",
            &[("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "ipV6")],
            None,
            None,
            None,
            Ok("http://[fd00:ec2::254]/latest/api/token"),
        ),
        case(
            "ipv6 endpoint from config",
            &[(CONFIG_FILE, "config")],
            Some("[default]\nec2_metadata_service_endpoint_mode = IPv6"),
            None,
            None,
            Ok("http://[fd00:ec2::254]/latest/api/token"),
        ),
        case(
            "invalid config endpoint mode",
            &[(CONFIG_FILE, "config")],
            Some("[default]\nec2_metadata_service_endpoint_mode = IPv7"),
            None,
            None,
            Err(ConfigError::EndpointMode(Origin::Profile)),
        ),
        case(
            "explicit endpoint override",
            &[(CONFIG_FILE, "config")],
            Some("[default]\nec2_metadata_service_endpoint_mode = IPv6"),
            Some("https://custom"),
            None,
            Ok("https://custom/latest/api/token"),
        ),
        case(
            "explicit mode override",
            &[(CONFIG_FILE, "config")],
            Some("[default]\nec2_metadata_service_endpoint_mode = IPv4"),
            None,
            Some("IPv6"),
            Ok("http://[fd00:ec2::254]/latest/api/token"),
        ),
        case(
            "invalid uri",
            &[("AWS_EC2_METADATA_SERVICE_ENDPOINT", "not a uri")],
            None,
            None,
            None,
            Err(ConfigError::Endpoint(Origin::Environment, imds::EndpointError::UnsupportedScheme)),
        ),
        case(
            "environment variable overrides endpoint mode override",
            &[("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://169.254.169.200")],
            None,
            None,
            Some("IPv6"),
            Ok("http://169.254.169.200/latest/api/token"),
        ),
    ]
}

/// The URL of the token request, as the peer's cases state their results.
fn token_url(endpoint: &imds::Endpoint) -> String {
    format!("{endpoint}{}", imds::wire::TOKEN_PATH)
}

fn env_value(case: &Case, key: &str) -> Option<&'static str> {
    case.env.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

#[test]
fn the_fourteen_cases_through_resolve() {
    let cases = cases();
    assert_eq!(cases.len(), 14);
    for case in &cases {
        let file = case.config.unwrap_or_default();
        let keys = ["ec2_metadata_service_endpoint", "ec2_metadata_service_endpoint_mode"];
        let [endpoint, mode] = imds::sdk_config::profile_values(file.as_bytes(), "default", keys).unwrap();
        let settings = Settings {
            endpoint: case.endpoint,
            endpoint_mode: case.mode.map(|m| EndpointMode::parse(m).unwrap()),
            environment: Source {
                endpoint: env_value(case, "AWS_EC2_METADATA_SERVICE_ENDPOINT"),
                endpoint_mode: env_value(case, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE"),
                ..Source::default()
            },
            profile: Source { endpoint, endpoint_mode: mode, ..Source::default() },
            ..Settings::default()
        };
        let result = resolve(&settings).map(|r| token_url(&r.endpoint));
        assert_eq!(result, case.result.map(String::from), "{}", case.docs);
    }
}

#[cfg(feature = "std")]
#[test]
fn the_fourteen_cases_through_the_loader_and_a_real_file() {
    let dir = std::env::temp_dir().join(format!("imds-sdk-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for case in cases() {
        let file = dir.join("config");
        let _ = std::fs::remove_file(&file);
        if let Some(text) = case.config {
            std::fs::write(&file, text).unwrap();
        }
        let getenv = |key: &str| match key {
            // The file named by the case, in the test's own directory; never the real ~/.aws.
            "AWS_CONFIG_FILE" => env_value(&case, key).map(|_| file.to_string_lossy().into_owned()),
            "HOME" => Some(dir.join("no-home").to_string_lossy().into_owned()),
            _ => env_value(&case, key).map(String::from),
        };
        let explicit = Settings {
            endpoint: case.endpoint,
            endpoint_mode: case.mode.and_then(EndpointMode::parse),
            ..Settings::default()
        };
        let loaded = imds::sdk_config::load(getenv).unwrap();
        let resolved = loaded.resolve(explicit);
        assert_eq!(resolved.map(|r| token_url(&r.endpoint)), case.result.map(String::from), "{}", case.docs);
    }
    // A named profile, and the switches.
    std::fs::write(
        dir.join("config"),
        "[profile dev]\nec2_metadata_service_endpoint = http://127.0.0.1:1338\nec2_metadata_v1_disabled = TRUE\n",
    )
    .unwrap();
    let config = dir.join("config").to_string_lossy().into_owned();
    let getenv = |key: &str| match key {
        "AWS_CONFIG_FILE" => Some(config.clone()),
        "AWS_PROFILE" => Some("dev".into()),
        "AWS_EC2_METADATA_DISABLED" => Some("True".into()),
        _ => None,
    };
    let loaded = imds::sdk_config::load(getenv).unwrap();
    let resolved = loaded.resolve(Settings::default()).unwrap();
    assert_eq!(
        (resolved.endpoint.to_string(), resolved.disabled, resolved.v1_disabled),
        ("http://127.0.0.1:1338".into(), true, true)
    );
    assert_eq!(loaded.config_file.as_deref(), Some(dir.join("config").as_path()));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn errors_name_their_source() {
    let error = ConfigError::EndpointMode(Origin::Profile);
    assert_eq!(
        error.to_string(),
        "profile key ec2_metadata_service_endpoint_mode: not a valid endpoint mode (IPv4 or IPv6)"
    );
    let error = ConfigError::Endpoint(Origin::Environment, imds::EndpointError::UnsupportedScheme);
    assert_eq!(
        error.to_string(),
        "AWS_EC2_METADATA_SERVICE_ENDPOINT: invalid metadata endpoint: endpoint must start with http:// or https://"
    );
}

/// The loader reads bytes, bounded, from regular files only, and refuses what
/// the SDKs refuse with the file and the line; it never blocks or drops a file.
#[cfg(feature = "std")]
#[test]
fn the_loader_reads_files_as_the_sdks_do() {
    use imds::sdk_config::{FileErrorKind, LoadErrorKind, MAX_CONFIG_FILE_LEN, load};
    let dir = std::env::temp_dir().join(format!("imds-sdk-loader-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let load_file = |path: &std::path::Path, profile: Option<&str>| {
        let path = path.to_string_lossy().into_owned();
        load(move |key| match key {
            "AWS_CONFIG_FILE" => Some(path.clone()),
            "AWS_PROFILE" => profile.map(String::from),
            _ => None,
        })
    };
    let file = dir.join("config");
    let with = |bytes: &[u8]| {
        std::fs::write(&file, bytes).unwrap();
        load_file(&file, None)
    };
    // Notepad's BOM, a Latin-1 comment, CRLF: read, not dropped.
    let loaded = with(b"\xef\xbb\xbf# r\xe9gion de test\r\n[default]\r\nec2_metadata_v1_disabled = true\r\n").unwrap();
    assert!(loaded.resolve(Settings::default()).unwrap().v1_disabled);
    // Latin-1 in a value: an error naming the file and the line.
    let error = with(b"[default]\nec2_metadata_service_endpoint = http://caf\xe9\n").unwrap_err();
    assert_eq!(error.kind, LoadErrorKind::File(imds::sdk_config::FileError { line: 2, kind: FileErrorKind::NotUtf8 }));
    assert_eq!(error.to_string(), format!("{}: line 2: not UTF-8 (outside a comment line)", file.display()));
    let error = with(b"[default]\n[profile x\n").unwrap_err();
    assert_eq!(error.to_string(), format!("{}: line 2: profile definition must end with ']'", file.display()));
    // [profile default] beats [default]; the role from the profile.
    let loaded =
        with(b"[profile default]\nec2_instance_profile_name = from-file\n[default]\nec2_metadata_v1_disabled = x\n")
            .unwrap();
    let resolved = loaded.resolve(Settings::default()).unwrap();
    assert_eq!((resolved.instance_profile_name, resolved.v1_disabled), (Some("from-file"), false));
    let explicit = Settings { instance_profile_name: Some("flag"), ..Settings::default() };
    assert_eq!(loaded.resolve(explicit).unwrap().instance_profile_name, Some("flag"));
    // Bounded: one byte over the cap is refused before it is read.
    std::fs::write(&file, vec![b'#'; MAX_CONFIG_FILE_LEN as usize + 1]).unwrap();
    assert_eq!(load_file(&file, None).unwrap_err().kind, LoadErrorKind::TooLarge);
    std::fs::write(&file, vec![b'#'; MAX_CONFIG_FILE_LEN as usize]).unwrap();
    assert!(load_file(&file, None).is_ok(), "the cap itself is fine");
    // Not regular files: refused at once, never read (a FIFO would block, /dev/zero never ends).
    for path in [std::path::Path::new("/dev/zero"), dir.as_path()] {
        assert_eq!(load_file(path, None).unwrap_err().kind, LoadErrorKind::NotAFile, "{}", path.display());
    }
    let fifo = dir.join("fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success());
    if made {
        assert_eq!(load_file(&fifo, None).unwrap_err().kind, LoadErrorKind::NotAFile);
    } else {
        println!("skipped: mkfifo is not available");
    }
    // Missing, or /dev/null: no settings.
    assert_eq!(load_file(&dir.join("missing"), None).unwrap().profile, [None, None, None, None]);
    assert_eq!(load_file(std::path::Path::new("/dev/null"), None).unwrap().profile, [None, None, None, None]);
    std::fs::remove_dir_all(&dir).unwrap();
}
