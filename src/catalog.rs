//! Every documented category of the metadata service, as paths: constants for
//! the fixed ones, builders for those with a part of yours (a MAC, a role, a
//! tag key, an index), which check what they insert. Each says what its body
//! is. Sources: the EC2 user guide's "Instance metadata categories" and
//! "Dynamic data categories".
//!
//! ```
//! use imds::catalog::{self, Interface};
//! assert_eq!(catalog::REGION, "/latest/meta-data/placement/region");
//! let vpc = catalog::interface("0e:49:61:0f:c3:11", Interface::VpcId)?;
//! assert_eq!(vpc.as_str(), "/latest/meta-data/network/interfaces/macs/0e:49:61:0f:c3:11/vpc-id");
//! assert!(catalog::tag("Name/with/slashes").is_err());
//! # Ok::<(), imds::catalog::CatalogError>(())
//! ```

use core::fmt;

use crate::path::MAX_PATH_LEN;

/// A path a builder made: valid, at most [`MAX_PATH_LEN`] bytes, held inline.
#[derive(Clone, PartialEq, Eq)]
pub struct MetadataPath(heapless::String<MAX_PATH_LEN>);

impl MetadataPath {
    /// The path.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl core::ops::Deref for MetadataPath {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MetadataPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for MetadataPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MetadataPath({:?})", self.as_str())
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for MetadataPath {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{=str}", self.as_str())
    }
}

/// A part given to a builder that the service would not have in a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum CatalogError {
    /// Not six pairs of hex digits joined by `:`.
    Mac,
    /// Not an IAM role name: 1 to 64 of letters, digits and `+=,.@_-`.
    Role,
    /// Not a tag key the service shows: 1 to 128 of letters, digits and
    /// `+-=.,_:@`, and not `.`, `..` or `_index`.
    TagKey,
    /// Not a dotted-decimal IPv4 address.
    Ipv4,
    /// Not an accelerator or GPU id: 1 to 64 of letters, digits and `-`.
    Id,
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CatalogError::Mac => "not a MAC address (six hex pairs joined by ':')",
            CatalogError::Role => "not an IAM role name",
            CatalogError::TagKey => "not a tag key the metadata service can show",
            CatalogError::Ipv4 => "not a dotted-decimal IPv4 address",
            CatalogError::Id => "not an accelerator or GPU id",
        })
    }
}

impl core::error::Error for CatalogError {}

/// `prefix` + `part` + `suffix`, once `check` accepts `part`.
fn build(
    prefix: &str,
    part: &str,
    suffix: &str,
    check: bool,
    error: CatalogError,
) -> Result<MetadataPath, CatalogError> {
    if !check {
        return Err(error);
    }
    let mut path = heapless::String::new();
    for piece in [prefix, part, suffix] {
        path.push_str(piece).map_err(|_| error)?;
    }
    Ok(MetadataPath(path))
}

fn chars_in(text: &str, max: usize, allowed: impl Fn(u8) -> bool) -> bool {
    !text.is_empty() && text.len() <= max && text.bytes().all(allowed)
}

macro_rules! paths {
    ($($(#[$doc:meta])* $name:ident = $path:literal;)*) => {
        $($(#[$doc])* pub const $name: &str = $path;)*
        /// Every fixed path above, in order (for tests and tools).
        pub const ALL: &[&str] = &[$($path),*];
    };
}

paths! {
    /// Directory: the categories of the current API version.
    META_DATA = "/latest/meta-data/";
    /// The AMI id used to launch the instance (`ami-0abc...`).
    AMI_ID = "/latest/meta-data/ami-id";
    /// Launch order within one `RunInstances` call, from 0 (always 0 under Auto Scaling).
    AMI_LAUNCH_INDEX = "/latest/meta-data/ami-launch-index";
    /// Path of the AMI manifest in S3, or `unknown` for EBS-backed AMIs.
    AMI_MANIFEST_PATH = "/latest/meta-data/ami-manifest-path";
    /// AMI ids of instances rebundled to make this AMI, one per line (when any).
    ANCESTOR_AMI_IDS = "/latest/meta-data/ancestor-ami-ids";
    /// Target Auto Scaling lifecycle state: `Detached`, `InService`, `Standby`,
    /// `Terminated`, `Warmed:Hibernated`, `Warmed:Running`, `Warmed:Stopped`, `Warmed:Terminated`.
    AUTOSCALING_TARGET_LIFECYCLE_STATE = "/latest/meta-data/autoscaling/target-lifecycle-state";
    /// Directory: `ami`, `root`, `swap`, `ebsN`, `ephemeralN` (see [`block_device_ebs`]).
    BLOCK_DEVICE_MAPPING = "/latest/meta-data/block-device-mapping/";
    /// The device holding the root file system (`/dev/xvda`).
    BLOCK_DEVICE_MAPPING_AMI = "/latest/meta-data/block-device-mapping/ami";
    /// The root device (`/dev/xvda`).
    BLOCK_DEVICE_MAPPING_ROOT = "/latest/meta-data/block-device-mapping/root";
    /// The swap device, if any.
    BLOCK_DEVICE_MAPPING_SWAP = "/latest/meta-data/block-device-mapping/swap";
    /// Directory of the Elastic GPUs attached, by id (see [`elastic_gpu`]).
    ELASTIC_GPUS_ASSOCIATIONS = "/latest/meta-data/elastic-gpus/associations/";
    /// Directory of the Elastic Inference accelerators, by id (see [`elastic_inference`]).
    ELASTIC_INFERENCE_ASSOCIATIONS = "/latest/meta-data/elastic-inference/associations/";
    /// Completed or canceled maintenance events: a JSON array
    /// ([`MaintenanceEvents`](crate::parse::MaintenanceEvents)).
    EVENTS_MAINTENANCE_HISTORY = "/latest/meta-data/events/maintenance/history";
    /// Scheduled maintenance events: a JSON array, `[]` when none
    /// ([`MaintenanceEvents`](crate::parse::MaintenanceEvents)).
    EVENTS_MAINTENANCE_SCHEDULED = "/latest/meta-data/events/maintenance/scheduled";
    /// A rebalance recommendation, `{"noticeTime": "..."}`, 404 until there is one
    /// ([`RebalanceRecommendation`](crate::parse::RebalanceRecommendation)).
    EVENTS_RECOMMENDATIONS_REBALANCE = "/latest/meta-data/events/recommendations/rebalance";
    /// The private IPv4 DNS host name (`ip-10-0-0-1.ec2.internal`).
    HOSTNAME = "/latest/meta-data/hostname";
    /// The instance profile: a JSON object ([`IamInfo`](crate::parse::IamInfo)); 404 without a role.
    IAM_INFO = "/latest/meta-data/iam/info";
    /// Directory listing the role name (one line); 404 without a role.
    IAM_SECURITY_CREDENTIALS = "/latest/meta-data/iam/security-credentials/";
    /// The extended credentials API's directory (credentials with `AccountId`);
    /// 404 where the service does not have it.
    IAM_SECURITY_CREDENTIALS_EXTENDED = "/latest/meta-data/iam/security-credentials-extended/";
    /// Information about the instance identity role: a JSON object with `AccountId`.
    IDENTITY_CREDENTIALS_EC2_INFO = "/latest/meta-data/identity-credentials/ec2/info";
    /// Credentials of the instance identity role (not for AWS calls): a JSON object
    /// like [`Credentials`](crate::parse::Credentials).
    IDENTITY_CREDENTIALS_EC2_INSTANCE = "/latest/meta-data/identity-credentials/ec2/security-credentials/ec2-instance";
    /// Notifies that the instance should reboot for a package update (`none`).
    INSTANCE_ACTION = "/latest/meta-data/instance-action";
    /// The instance id (`i-0abc...`).
    INSTANCE_ID = "/latest/meta-data/instance-id";
    /// `on-demand`, `spot` or `scheduled`.
    INSTANCE_LIFE_CYCLE = "/latest/meta-data/instance-life-cycle";
    /// The instance type (`c7g.large`).
    INSTANCE_TYPE = "/latest/meta-data/instance-type";
    /// The IPv6 address of the instance (primary interface), if any.
    IPV6 = "/latest/meta-data/ipv6";
    /// The kernel id, if any.
    KERNEL_ID = "/latest/meta-data/kernel-id";
    /// The private IPv4 DNS host name.
    LOCAL_HOSTNAME = "/latest/meta-data/local-hostname";
    /// The private IPv4 address of the primary interface.
    LOCAL_IPV4 = "/latest/meta-data/local-ipv4";
    /// The MAC address of the primary interface (`0e:49:61:0f:c3:11`).
    MAC = "/latest/meta-data/mac";
    /// No longer available.
    METRICS_VHOSTMD = "/latest/meta-data/metrics/vhostmd";
    /// Directory of the network interfaces, by MAC (`0e:49:61:0f:c3:11/`; see [`interface`]).
    NETWORK_INTERFACES_MACS = "/latest/meta-data/network/interfaces/macs/";
    /// The Availability Zone (`eu-west-1b`).
    PLACEMENT_AVAILABILITY_ZONE = "/latest/meta-data/placement/availability-zone";
    /// The zone id (`euw1-az2`).
    PLACEMENT_AVAILABILITY_ZONE_ID = "/latest/meta-data/placement/availability-zone-id";
    /// The placement group's name, if any.
    PLACEMENT_GROUP_NAME = "/latest/meta-data/placement/group-name";
    /// The Dedicated Host id, if any.
    PLACEMENT_HOST_ID = "/latest/meta-data/placement/host-id";
    /// The partition number in a partition placement group.
    PLACEMENT_PARTITION_NUMBER = "/latest/meta-data/placement/partition-number";
    /// The Region (`eu-west-1`).
    REGION = "/latest/meta-data/placement/region";
    /// Marketplace product codes, one per line.
    PRODUCT_CODES = "/latest/meta-data/product-codes";
    /// The public DNS host name, if any.
    PUBLIC_HOSTNAME = "/latest/meta-data/public-hostname";
    /// The public IPv4 address, if any.
    PUBLIC_IPV4 = "/latest/meta-data/public-ipv4";
    /// Directory of public keys, listed as `N=name` (see [`public_key`]).
    PUBLIC_KEYS = "/latest/meta-data/public-keys/";
    /// The RAM disk id, if any.
    RAMDISK_ID = "/latest/meta-data/ramdisk-id";
    /// The reservation id (`r-0abc...`).
    RESERVATION_ID = "/latest/meta-data/reservation-id";
    /// Security group names, one per line.
    SECURITY_GROUPS = "/latest/meta-data/security-groups";
    /// The Region's domain (`amazonaws.com`).
    SERVICES_DOMAIN = "/latest/meta-data/services/domain";
    /// The partition (`aws`, `aws-cn`, `aws-us-gov`).
    SERVICES_PARTITION = "/latest/meta-data/services/partition";
    /// A spot interruption: `{"action": "terminate|stop|hibernate", "time": "..."}`,
    /// 404 until there is one ([`SpotAction`](crate::parse::SpotAction)).
    SPOT_INSTANCE_ACTION = "/latest/meta-data/spot/instance-action";
    /// When a spot instance will be terminated (RFC 3339), 404 until then (legacy).
    SPOT_TERMINATION_TIME = "/latest/meta-data/spot/termination-time";
    /// Directory of the instance's tag keys, when tags in metadata are on (see [`tag`]).
    TAGS_INSTANCE = "/latest/meta-data/tags/instance/";
    /// Directory: the dynamic data.
    DYNAMIC = "/latest/dynamic/";
    /// The instance identity document: JSON ([`IdentityDocument`](crate::parse::IdentityDocument)).
    INSTANCE_IDENTITY_DOCUMENT = "/latest/dynamic/instance-identity/document";
    /// The document's PKCS#7 signature (SHA-1), base64.
    INSTANCE_IDENTITY_PKCS7 = "/latest/dynamic/instance-identity/pkcs7";
    /// The document's signature (SHA-256 with RSA), base64.
    INSTANCE_IDENTITY_SIGNATURE = "/latest/dynamic/instance-identity/signature";
    /// The document's PKCS#7 signature (SHA-256, RSA-2048), base64.
    INSTANCE_IDENTITY_RSA2048 = "/latest/dynamic/instance-identity/rsa2048";
    /// `enabled` or `disabled`: CloudWatch detailed monitoring.
    FWS_INSTANCE_MONITORING = "/latest/dynamic/fws/instance-monitoring";
    /// The user data, as given at launch (any bytes, up to 16 KiB; may be gzip).
    USER_DATA = "/latest/user-data";
}

/// `block-device-mapping/ebsN`: an EBS volume's virtual device.
pub fn block_device_ebs(n: u32) -> MetadataPath {
    numbered("/latest/meta-data/block-device-mapping/ebs", n, "")
}

/// `block-device-mapping/ephemeralN`: an instance store volume's virtual device.
pub fn block_device_ephemeral(n: u32) -> MetadataPath {
    numbered("/latest/meta-data/block-device-mapping/ephemeral", n, "")
}

/// `public-keys/N/openssh-key`: the public key `N`, in OpenSSH format.
pub fn public_key(n: u32) -> MetadataPath {
    numbered("/latest/meta-data/public-keys/", n, "/openssh-key")
}

fn numbered(prefix: &str, n: u32, suffix: &str) -> MetadataPath {
    let mut digits = [0u8; 10];
    let mut at = digits.len();
    let mut rest = n;
    loop {
        at -= 1;
        if let Some(d) = digits.get_mut(at) {
            *d = b'0' + (rest % 10) as u8;
        }
        rest /= 10;
        if rest == 0 || at == 0 {
            break;
        }
    }
    let number = core::str::from_utf8(digits.get(at..).unwrap_or_default()).unwrap_or_default();
    // At most 60-odd bytes: it fits.
    build(prefix, number, suffix, true, CatalogError::Id).unwrap_or(MetadataPath(heapless::String::new()))
}

/// `iam/security-credentials/<role>`: the role's credentials, JSON
/// ([`Credentials`](crate::parse::Credentials)).
pub fn security_credentials(role: &str) -> Result<MetadataPath, CatalogError> {
    build("/latest/meta-data/iam/security-credentials/", role, "", is_role(role), CatalogError::Role)
}

/// `iam/security-credentials-extended/<role>`: the role's credentials with
/// `AccountId`, where the service has the extended API.
pub fn security_credentials_extended(role: &str) -> Result<MetadataPath, CatalogError> {
    build("/latest/meta-data/iam/security-credentials-extended/", role, "", is_role(role), CatalogError::Role)
}

/// IAM role names: 1 to 64 of letters, digits and `+=,.@_-`.
pub(crate) fn is_role(role: &str) -> bool {
    chars_in(role, 64, |b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
}

/// `tags/instance/<key>`: the value of an instance tag.
pub fn tag(key: &str) -> Result<MetadataPath, CatalogError> {
    let allowed = chars_in(key, 128, |b| b.is_ascii_alphanumeric() || b"+-=.,_:@".contains(&b));
    let valid = allowed && !matches!(key, "." | ".." | "_index");
    build("/latest/meta-data/tags/instance/", key, "", valid, CatalogError::TagKey)
}

/// `elastic-gpus/associations/<id>`: an Elastic GPU's information, JSON.
pub fn elastic_gpu(id: &str) -> Result<MetadataPath, CatalogError> {
    build("/latest/meta-data/elastic-gpus/associations/", id, "", is_id(id), CatalogError::Id)
}

/// `elastic-inference/associations/<id>`: an accelerator's information, JSON.
pub fn elastic_inference(id: &str) -> Result<MetadataPath, CatalogError> {
    build("/latest/meta-data/elastic-inference/associations/", id, "", is_id(id), CatalogError::Id)
}

fn is_id(id: &str) -> bool {
    chars_in(id, 64, |b| b.is_ascii_alphanumeric() || b == b'-')
}

/// A category of one network interface, under `network/interfaces/macs/<mac>/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Interface {
    /// `device-number`: the interface's device number (0 for the primary).
    DeviceNumber,
    /// `interface-id`: `eni-0abc...`.
    InterfaceId,
    /// `ipv4-associations/`: directory of the public IPv4 addresses (see [`ipv4_association`]).
    Ipv4Associations,
    /// `ipv4-prefix`: delegated IPv4 prefixes, one per line.
    Ipv4Prefix,
    /// `ipv6-prefix`: delegated IPv6 prefixes, one per line.
    Ipv6Prefix,
    /// `ipv6s`: IPv6 addresses, one per line.
    Ipv6s,
    /// `local-hostname`: the interface's private DNS name.
    LocalHostname,
    /// `local-ipv4s`: private IPv4 addresses, one per line.
    LocalIpv4s,
    /// `mac`: the MAC address.
    Mac,
    /// `network-card-index`: the network card's index.
    NetworkCardIndex,
    /// `owner-id`: the interface owner's account id.
    OwnerId,
    /// `public-hostname`: the interface's public DNS name.
    PublicHostname,
    /// `public-ipv4s`: public IPv4 addresses, one per line.
    PublicIpv4s,
    /// `security-groups`: security group names, one per line.
    SecurityGroups,
    /// `security-group-ids`: security group ids, one per line.
    SecurityGroupIds,
    /// `subnet-id`.
    SubnetId,
    /// `subnet-ipv4-cidr-block`.
    SubnetIpv4CidrBlock,
    /// `subnet-ipv6-cidr-blocks`, one per line.
    SubnetIpv6CidrBlocks,
    /// `vpc-id`.
    VpcId,
    /// `vpc-ipv4-cidr-block`: the VPC's primary IPv4 block.
    VpcIpv4CidrBlock,
    /// `vpc-ipv4-cidr-blocks`, one per line.
    VpcIpv4CidrBlocks,
    /// `vpc-ipv6-cidr-blocks`, one per line.
    VpcIpv6CidrBlocks,
}

impl Interface {
    /// The path segment (`vpc-id`, `ipv4-associations/`).
    pub const fn segment(self) -> &'static str {
        match self {
            Interface::DeviceNumber => "device-number",
            Interface::InterfaceId => "interface-id",
            Interface::Ipv4Associations => "ipv4-associations/",
            Interface::Ipv4Prefix => "ipv4-prefix",
            Interface::Ipv6Prefix => "ipv6-prefix",
            Interface::Ipv6s => "ipv6s",
            Interface::LocalHostname => "local-hostname",
            Interface::LocalIpv4s => "local-ipv4s",
            Interface::Mac => "mac",
            Interface::NetworkCardIndex => "network-card-index",
            Interface::OwnerId => "owner-id",
            Interface::PublicHostname => "public-hostname",
            Interface::PublicIpv4s => "public-ipv4s",
            Interface::SecurityGroups => "security-groups",
            Interface::SecurityGroupIds => "security-group-ids",
            Interface::SubnetId => "subnet-id",
            Interface::SubnetIpv4CidrBlock => "subnet-ipv4-cidr-block",
            Interface::SubnetIpv6CidrBlocks => "subnet-ipv6-cidr-blocks",
            Interface::VpcId => "vpc-id",
            Interface::VpcIpv4CidrBlock => "vpc-ipv4-cidr-block",
            Interface::VpcIpv4CidrBlocks => "vpc-ipv4-cidr-blocks",
            Interface::VpcIpv6CidrBlocks => "vpc-ipv6-cidr-blocks",
        }
    }

    /// Every category of an interface.
    pub const ALL: [Interface; 22] = [
        Interface::DeviceNumber,
        Interface::InterfaceId,
        Interface::Ipv4Associations,
        Interface::Ipv4Prefix,
        Interface::Ipv6Prefix,
        Interface::Ipv6s,
        Interface::LocalHostname,
        Interface::LocalIpv4s,
        Interface::Mac,
        Interface::NetworkCardIndex,
        Interface::OwnerId,
        Interface::PublicHostname,
        Interface::PublicIpv4s,
        Interface::SecurityGroups,
        Interface::SecurityGroupIds,
        Interface::SubnetId,
        Interface::SubnetIpv4CidrBlock,
        Interface::SubnetIpv6CidrBlocks,
        Interface::VpcId,
        Interface::VpcIpv4CidrBlock,
        Interface::VpcIpv4CidrBlocks,
        Interface::VpcIpv6CidrBlocks,
    ];
}

/// `network/interfaces/macs/<mac>/<category>`.
pub fn interface(mac: &str, category: Interface) -> Result<MetadataPath, CatalogError> {
    let mut path = build("/latest/meta-data/network/interfaces/macs/", mac, "/", is_mac(mac), CatalogError::Mac)?;
    path.0.push_str(category.segment()).map_err(|_| CatalogError::Mac)?;
    Ok(path)
}

/// `network/interfaces/macs/<mac>/ipv4-associations/<public-ip>`: the private
/// address a public IPv4 address is associated with.
pub fn ipv4_association(mac: &str, public_ip: &str) -> Result<MetadataPath, CatalogError> {
    let mut path = interface(mac, Interface::Ipv4Associations)?;
    if public_ip.parse::<core::net::Ipv4Addr>().is_err() {
        return Err(CatalogError::Ipv4);
    }
    path.0.push_str(public_ip).map_err(|_| CatalogError::Ipv4)?;
    Ok(path)
}

/// Six pairs of hex digits joined by `:` (either case).
fn is_mac(mac: &str) -> bool {
    let bytes = mac.as_bytes();
    bytes.len() == 17
        && bytes.iter().enumerate().all(|(i, &b)| if i % 3 == 2 { b == b':' } else { b.is_ascii_hexdigit() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fixed_path_is_valid_and_unique() {
        for (i, path) in ALL.iter().enumerate() {
            assert_eq!(crate::path::validate(path), Ok(()), "{path}");
            assert!(!ALL[..i].contains(path), "{path} twice");
        }
        assert_eq!(ALL.len(), 57);
    }

    #[test]
    fn builders_check_what_they_insert() {
        assert_eq!(block_device_ebs(12).as_str(), "/latest/meta-data/block-device-mapping/ebs12");
        assert_eq!(block_device_ephemeral(0).as_str(), "/latest/meta-data/block-device-mapping/ephemeral0");
        assert_eq!(public_key(u32::MAX).as_str(), "/latest/meta-data/public-keys/4294967295/openssh-key");
        assert_eq!(
            security_credentials("my-role_1+=,.@").unwrap().as_str(),
            "/latest/meta-data/iam/security-credentials/my-role_1+=,.@"
        );
        assert!(security_credentials_extended("r").unwrap().ends_with("security-credentials-extended/r"));
        for bad in ["", "../x", "a/b", "a b", "ünï", &"r".repeat(65)] {
            assert_eq!(security_credentials(bad), Err(CatalogError::Role), "{bad:?}");
        }
        assert_eq!(tag("Name").unwrap().as_str(), "/latest/meta-data/tags/instance/Name");
        assert!(tag("aws:autoscaling:groupName").is_ok());
        for bad in ["", ".", "..", "_index", "a/b", "a b", "a?b", &"k".repeat(129)] {
            assert_eq!(tag(bad), Err(CatalogError::TagKey), "{bad:?}");
        }
        let vpc = interface("0E:49:61:0f:c3:11", Interface::VpcId).unwrap();
        assert_eq!(vpc.as_str(), "/latest/meta-data/network/interfaces/macs/0E:49:61:0f:c3:11/vpc-id");
        for bad in ["0e:49:61:0f:c3", "0e-49-61-0f-c3-11", "0e:49:61:0f:c3:1g", "0e:49:61:0f:c3:111"] {
            assert_eq!(interface(bad, Interface::Mac), Err(CatalogError::Mac), "{bad}");
        }
        for category in Interface::ALL {
            let path = interface("0e:49:61:0f:c3:11", category).unwrap();
            assert_eq!(crate::path::validate(&path), Ok(()), "{path}");
        }
        assert_eq!(
            ipv4_association("0e:49:61:0f:c3:11", "192.0.2.54").unwrap().as_str(),
            "/latest/meta-data/network/interfaces/macs/0e:49:61:0f:c3:11/ipv4-associations/192.0.2.54"
        );
        assert_eq!(ipv4_association("0e:49:61:0f:c3:11", "192.0.2"), Err(CatalogError::Ipv4));
        assert!(elastic_inference("eia-bfa21c7904f64a82a21b9f4540169ce1").is_ok());
        assert_eq!(elastic_gpu("egpu/1"), Err(CatalogError::Id));
    }
}
