//! The command line: options anywhere, one command, its argument.

use std::time::Duration;

use imds::{TokenTtl, V1Fallback, WalkLimits, path};

pub const USAGE: &str = "\
usage: imds [OPTIONS] <COMMAND>

commands:
  get PATH          the body's bytes, unchanged, on stdout
  walk [ROOT]       every leaf under ROOT (default /latest/meta-data/), streamed as one
                    JSON object mapping full paths to bodies (null for a listed path gone)
  credentials       the IAM role's credentials as one JSON object in the credential_process
                    format (credential_process = imds credentials, in an AWS profile)
  region            the instance's Region
  identity          the instance identity document as one JSON object; with --verify, only
                    once its AWS signature verifies
  watch             one JSON line per new or changed interruption notice (spot,
                    rebalance, scheduled maintenance)
  endpoint          the endpoint the settings resolve to; sends nothing
  help [COMMAND]    this text, or one command's (also: COMMAND --help)

options:
  --endpoint URL        the metadata service (beats AWS_EC2_METADATA_SERVICE_ENDPOINT and
                        the profile's ec2_metadata_service_endpoint); http only
  --ipv6                the IPv6 endpoint mode (an endpoint set anywhere beats it)
  --ttl SECONDS         token TTL, 1..=21600 (default 21600)
  --v1-fallback MODE    never | rejected | timeout (default never; AWS_EC2_METADATA_V1_DISABLED
                        or ec2_metadata_v1_disabled = true also mean never)
  --attempts N          attempts per request (default 4)
  --timeout-ms N        connect and read timeout (default 1000)
  --max-nodes N         walk: most nodes (requests) (default 4096)
  --max-bytes N         walk: most bytes of bodies (default 16777216)
  --deadline-ms N       walk: most time in all (default 60000)
  --role NAME           credentials: the IAM role, instead of discovering it (beats
                        AWS_EC2_INSTANCE_PROFILE_NAME and ec2_instance_profile_name)
  --redacted            credentials: \"<redacted>\" instead of the secret values
  --verify CERT         identity: verify the rsa2048 signature (PKCS #7) with CERT, the
                        Region's RSA-2048 certificate (PEM or DER file); print nothing unless
                        it verifies
  --verify-signature CERT
                        identity: verify the base64 signature with CERT, the Region's RSA
                        certificate (PEM or DER file)
  --interval-ms N       watch: time between rounds of polls, at least 1000 (default 5000)
  --until-notice        watch: exit 0 after the first notice
  --emulator            start the built-in emulator on a free loopback port and use it
  --stats               print requests and wall time on stderr
  -h, --help            this text
  -V, --version         the version

environment: AWS_EC2_METADATA_SERVICE_ENDPOINT, AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE,
AWS_EC2_METADATA_DISABLED, AWS_EC2_METADATA_V1_DISABLED, AWS_EC2_INSTANCE_PROFILE_NAME,
and the profile AWS_PROFILE (default) of AWS_CONFIG_FILE (~/.aws/config), as the AWS
SDKs read them; a config file they would refuse is a usage error naming its line.

exit status: 0 done; 1 the service or network failed, or the identity document did not
verify (one line on stderr); 2 usage error";

/// The shortest `--interval-ms`: a watch polls three paths a round, and IMDS
/// throttles busy callers.
pub const MIN_INTERVAL_MS: u64 = 1000;

pub enum Command {
    Get(String),
    Walk(String),
    Credentials,
    Region,
    Identity,
    Watch,
    Endpoint,
}

impl Command {
    /// Whether the command talks to the service.
    pub fn sends(&self) -> bool {
        !matches!(self, Command::Endpoint)
    }
}

pub struct Args {
    pub endpoint: Option<String>,
    pub ipv6: bool,
    pub ttl: Option<TokenTtl>,
    pub v1_fallback: Option<V1Fallback>,
    pub attempts: Option<u8>,
    pub timeout: Option<Duration>,
    pub limits: WalkLimits,
    pub role: Option<String>,
    pub redacted: bool,
    pub interval: Duration,
    pub until_notice: bool,
    /// `--verify`: the RSA-2048 certificate's bytes, and its file's name.
    pub verify: Option<(Vec<u8>, String)>,
    /// `--verify-signature`: the RSA certificate's bytes, and its file's name.
    pub verify_signature: Option<(Vec<u8>, String)>,
    pub emulator: bool,
    pub stats: bool,
    pub command: Command,
}

pub enum Parsed {
    Run(Box<Args>),
    /// The usage to print: the whole, or one command's.
    Help(String),
    Version,
}

const COMMANDS: [&str; 7] = ["get", "walk", "credentials", "region", "identity", "watch", "endpoint"];

/// The usage of one command, cut from [`USAGE`]: its line and description,
/// and the options that apply to it (the general ones, and those whose
/// description starts with its name and a colon).
pub fn command_usage(command: &str) -> Option<String> {
    let section = |name: &str| USAGE.split(&format!("\n{name}:\n")).nth(1)?.split("\n\n").next();
    // A block: `  NAME ARGS  description…`, continued on deeper lines.
    let split = |block: &str| {
        let mut lines = block.lines().map(str::trim);
        let first = lines.next().unwrap_or_default();
        let (synopsis, description) = first.split_once("  ").unwrap_or((first, ""));
        let description: Vec<&str> = [description.trim()].into_iter().chain(lines).filter(|l| !l.is_empty()).collect();
        (synopsis.to_owned(), description.join("\n"))
    };
    let this = blocks(section("commands")?).find(|b| b.split_whitespace().next() == Some(command))?;
    let (synopsis, description) = split(&this);
    let options: Vec<String> = blocks(section("options")?)
        .filter(|block| {
            let (_, description) = split(block);
            let marked = description.split_once(':').map(|(first, _)| first).filter(|w| COMMANDS.contains(w));
            marked.is_none_or(|c| c == command)
        })
        .collect();
    Some(format!("usage: imds [OPTIONS] {synopsis}\n\n{description}\n\noptions:\n{}", options.join("\n")))
}

/// The blocks of a list: a line indented by two, with the lines indented
/// deeper that follow it.
fn blocks(list: &str) -> impl Iterator<Item = String> + '_ {
    let mut blocks: Vec<String> = Vec::new();
    for line in list.lines() {
        match (line.starts_with("   "), blocks.last_mut()) {
            (true, Some(block)) => {
                block.push('\n');
                block.push_str(line);
            }
            _ => blocks.push(line.to_owned()),
        }
    }
    blocks.into_iter()
}

/// A certificate file for `option`: read, and checked to hold an RSA key of
/// 1,024 to `max_bits` bits.
fn certificate(option: &str, file: &str, max_bits: u32) -> Result<(Vec<u8>, String), String> {
    let bytes = std::fs::read(file).map_err(|e| format!("{option} {file}: {e}"))?;
    let mut scratch = vec![0; imds::verify::scratch_len(0, bytes.len())];
    match imds::verify::key_bits(&bytes, &mut scratch) {
        Ok(bits) if (1024..=max_bits).contains(&bits) => Ok((bytes, file.to_owned())),
        Ok(bits) => Err(format!("{option} {file}: an RSA key of {bits} bits (1024 to {max_bits} are taken)")),
        Err(e) => Err(format!("{option} {file}: not a certificate imds can use: {e}")),
    }
}

fn number<T: std::str::FromStr>(option: &str, value: &str, what: &str) -> Result<T, String> {
    value.parse().map_err(|_| format!("bad {option} {value:?}: {what}"))
}

pub fn parse(args: impl IntoIterator<Item = std::ffi::OsString>) -> Result<Parsed, String> {
    use lexopt::prelude::*;
    let args: Vec<std::ffi::OsString> = args.into_iter().collect();
    // --help (anywhere) with a command, or `help COMMAND`: that command's usage.
    let words: Vec<&str> = args.iter().filter_map(|a| a.to_str()).collect();
    let help = words.iter().any(|w| matches!(*w, "-h" | "--help")) || words.first() == Some(&"help");
    if help {
        let command = words.iter().find(|w| COMMANDS.contains(w));
        return Ok(Parsed::Help(command.and_then(|c| command_usage(c)).unwrap_or_else(|| USAGE.to_owned())));
    }
    let mut parser = lexopt::Parser::from_args(args);
    let mut limits = WalkLimits::DEFAULT;
    let mut positional: Vec<String> = Vec::new();
    let mut parsed = Args {
        endpoint: None,
        ipv6: false,
        ttl: None,
        v1_fallback: None,
        attempts: None,
        timeout: None,
        limits,
        role: None,
        redacted: false,
        interval: imds::DEFAULT_WATCH_INTERVAL,
        until_notice: false,
        verify: None,
        verify_signature: None,
        emulator: false,
        stats: false,
        command: Command::Endpoint,
    };
    fn value(parser: &mut lexopt::Parser, name: &str) -> Result<String, String> {
        parser
            .value()
            .map_err(|_| format!("{name} needs a value"))?
            .into_string()
            .map_err(|_| format!("{name}: not UTF-8"))
    }
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Long("endpoint") => parsed.endpoint = Some(value(&mut parser, "--endpoint")?),
            Long("ipv6") => parsed.ipv6 = true,
            Long("emulator") => parsed.emulator = true,
            Long("stats") => parsed.stats = true,
            Long("redacted") => parsed.redacted = true,
            Long("until-notice") => parsed.until_notice = true,
            Long("ttl") => {
                let seconds: u32 = number("--ttl", &value(&mut parser, "--ttl")?, "a number of seconds")?;
                parsed.ttl = Some(TokenTtl::new(seconds).map_err(|e| format!("bad TTL: {e}"))?);
            }
            Long("v1-fallback") => {
                let mode = value(&mut parser, "--v1-fallback")?;
                let fallback = V1Fallback::parse(&mode)
                    .ok_or_else(|| format!("bad --v1-fallback {mode:?}: never, rejected or timeout"))?;
                parsed.v1_fallback = Some(fallback);
            }
            Long("attempts") => {
                let attempts: u8 = number("--attempts", &value(&mut parser, "--attempts")?, "a number from 1 to 255")?;
                if attempts == 0 {
                    return Err("bad --attempts 0: a number from 1 to 255".into());
                }
                parsed.attempts = Some(attempts);
            }
            Long("timeout-ms") => {
                let ms: u64 = number("--timeout-ms", &value(&mut parser, "--timeout-ms")?, "a positive number")?;
                if ms == 0 {
                    return Err("bad --timeout-ms 0: a positive number".into());
                }
                parsed.timeout = Some(Duration::from_millis(ms));
            }
            Long("max-nodes") => {
                limits.max_nodes = number("--max-nodes", &value(&mut parser, "--max-nodes")?, "a number of nodes")?
            }
            Long("max-bytes") => {
                limits.max_body_bytes = number("--max-bytes", &value(&mut parser, "--max-bytes")?, "a number of bytes")?
            }
            Long("deadline-ms") => {
                limits.timeout = Some(Duration::from_millis(number(
                    "--deadline-ms",
                    &value(&mut parser, "--deadline-ms")?,
                    "milliseconds",
                )?));
            }
            Long("interval-ms") => {
                let ms: u64 = number("--interval-ms", &value(&mut parser, "--interval-ms")?, "milliseconds")?;
                if ms < MIN_INTERVAL_MS {
                    return Err(format!(
                        "bad --interval-ms {ms}: at least {MIN_INTERVAL_MS} (the SDKs poll every few seconds)"
                    ));
                }
                parsed.interval = Duration::from_millis(ms);
            }
            Long("role") => parsed.role = Some(value(&mut parser, "--role")?),
            Long("verify") => parsed.verify = Some(certificate("--verify", &value(&mut parser, "--verify")?, 2048)?),
            Long("verify-signature") => {
                let file = value(&mut parser, "--verify-signature")?;
                parsed.verify_signature = Some(certificate("--verify-signature", &file, 4096)?);
            }
            Short('V') | Long("version") => return Ok(Parsed::Version),
            Value(v) => positional.push(v.into_string().map_err(|_| "arguments must be UTF-8".to_owned())?),
            other => return Err(format!("{} (see --help)", other.unexpected())),
        }
    }
    if parsed.emulator && parsed.endpoint.is_some() {
        return Err("--emulator and --endpoint exclude each other: the emulator is the endpoint".into());
    }
    parsed.limits = limits;
    parsed.command = match positional.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["get", path] => {
            path::validate(path).map_err(|e| format!("bad path {path:?}: {e}"))?;
            Command::Get(path.to_owned())
        }
        ["walk"] => Command::Walk("/latest/meta-data/".to_owned()),
        ["walk", root] => {
            let root = if root.ends_with('/') { root.to_owned() } else { format!("{root}/") };
            path::validate(&root).map_err(|e| format!("bad root {root:?}: {e}"))?;
            Command::Walk(root)
        }
        ["credentials"] => Command::Credentials,
        ["region"] => Command::Region,
        ["identity"] => Command::Identity,
        ["watch"] => Command::Watch,
        ["endpoint"] => Command::Endpoint,
        [] => return Err("no command (see --help)".into()),
        _ => return Err(format!("bad command {:?} (see --help)", positional.join(" "))),
    };
    if (parsed.verify.is_some() || parsed.verify_signature.is_some()) && !matches!(parsed.command, Command::Identity) {
        return Err("--verify and --verify-signature go with the identity command".into());
    }
    if let Some(role) = &parsed.role {
        imds::CredentialsFlow::with_role(role).map_err(|_| format!("bad --role {role:?}: not an IAM role name"))?;
    }
    Ok(Parsed::Run(Box::new(parsed)))
}
