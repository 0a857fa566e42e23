//! Wall-clock times in the service's documents: RFC 3339 (`2026-11-26T21:47:55Z`,
//! credentials, identity, spot and rebalance notices) and the maintenance
//! events' `21 Jan 2019 09:00:43 GMT`. Both become seconds since the Unix epoch.

use core::fmt;

use nom::branch::alt;
use nom::bytes::complete::{tag, take, take_while_m_n, take_while1};
use nom::combinator::{all_consuming, opt};
use nom::sequence::preceded;
use nom::{IResult, Parser};

/// A wall-clock time: seconds since 1970-01-01T00:00:00Z, and nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Timestamp {
    secs: i64,
    nanos: u32,
}

/// A time that is not a valid date and time of its format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum TimestampError {
    /// Not the format's syntax.
    Syntax,
    /// A month, day, hour, minute, second or offset out of range (say
    /// February 30th, or 24:00).
    OutOfRange,
}

impl fmt::Display for TimestampError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimestampError::Syntax => "not a timestamp",
            TimestampError::OutOfRange => "a date or time out of range",
        })
    }
}

impl core::error::Error for TimestampError {}

impl Timestamp {
    /// The epoch.
    pub const UNIX_EPOCH: Timestamp = Timestamp { secs: 0, nanos: 0 };

    /// `secs` seconds after the epoch (before it when negative).
    pub const fn from_unix(secs: i64) -> Timestamp {
        Timestamp { secs, nanos: 0 }
    }

    /// Seconds since the epoch (rounded down).
    pub const fn unix_seconds(&self) -> i64 {
        self.secs
    }

    /// The fraction of the second, in nanoseconds.
    pub const fn subsec_nanos(&self) -> u32 {
        self.nanos
    }

    /// `self + secs`, saturating.
    pub const fn saturating_add_secs(self, secs: i64) -> Timestamp {
        Timestamp { secs: self.secs.saturating_add(secs), nanos: self.nanos }
    }

    /// Parses RFC 3339: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, `T` and `Z`
    /// in either case; a leap second (`:60`) is the next second; fractions
    /// beyond nanoseconds are cut.
    pub fn parse_rfc3339(text: &str) -> Result<Timestamp, TimestampError> {
        let (_, (date, _, time, fraction, offset)) = all_consuming((
            date,
            alt((tag(&b"T"[..]), tag(&b"t"[..]))),
            clock,
            opt(preceded(tag(&b"."[..]), take_while1(|b: u8| b.is_ascii_digit()))),
            offset,
        ))
        .parse(text.as_bytes())
        .map_err(|_: nom::Err<()>| TimestampError::Syntax)?;
        let nanos = fraction.map_or(0, |digits: &[u8]| {
            digits.iter().chain(core::iter::repeat(&b'0')).take(9).fold(0u32, |n, &d| n * 10 + u32::from(d - b'0'))
        });
        let secs = seconds_of(date, time)?.checked_sub(offset?).ok_or(TimestampError::OutOfRange)?;
        Ok(Timestamp { secs, nanos })
    }

    /// Parses the maintenance events' form: `21 Jan 2019 09:00:43 GMT` (a day of
    /// one or two digits, an English month abbreviation).
    pub fn parse_event_time(text: &str) -> Result<Timestamp, TimestampError> {
        let day = take_while_m_n(1, 2, |b: u8| b.is_ascii_digit());
        let (_, (day, _, month, _, year, _, time, _)) = all_consuming((
            day,
            tag(&b" "[..]),
            take(3usize),
            tag(&b" "[..]),
            digits(4),
            tag(&b" "[..]),
            clock,
            tag(&b" GMT"[..]),
        ))
        .parse(text.as_bytes())
        .map_err(|_: nom::Err<()>| TimestampError::Syntax)?;
        const MONTHS: [&[u8]; 12] =
            [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"];
        let month = MONTHS.iter().position(|m| *m == month).ok_or(TimestampError::Syntax)? as u32 + 1;
        let date = (number(year), month, number(day));
        Ok(Timestamp { secs: seconds_of(date, time)?, nanos: 0 })
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC: `2026-11-26T21:47:55Z` (a fraction only when there is one).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.secs.div_euclid(86_400);
        let of_day = self.secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        let (h, m, s) = (of_day / 3600, of_day / 60 % 60, of_day % 60);
        write!(f, "{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}")?;
        if self.nanos != 0 {
            let mut digits = 9;
            let mut fraction = self.nanos;
            while fraction.is_multiple_of(10) {
                fraction /= 10;
                digits -= 1;
            }
            write!(f, ".{fraction:0digits$}")?;
        }
        f.write_str("Z")
    }
}

type Date = (u32, u32, u32);
type Clock = (u32, u32, u32);

fn digits<'a>(n: usize) -> impl Parser<&'a [u8], Output = &'a [u8], Error = ()> {
    take_while_m_n(n, n, |b: u8| b.is_ascii_digit())
}

fn number(digits: &[u8]) -> u32 {
    digits.iter().fold(0, |n, &d| n * 10 + u32::from(d - b'0'))
}

fn date(input: &[u8]) -> IResult<&[u8], Date, ()> {
    let (rest, (y, _, m, _, d)) = (digits(4), tag(&b"-"[..]), digits(2), tag(&b"-"[..]), digits(2)).parse(input)?;
    Ok((rest, (number(y), number(m), number(d))))
}

fn clock(input: &[u8]) -> IResult<&[u8], Clock, ()> {
    let (rest, (h, _, m, _, s)) = (digits(2), tag(&b":"[..]), digits(2), tag(&b":"[..]), digits(2)).parse(input)?;
    Ok((rest, (number(h), number(m), number(s))))
}

/// `Z`, or `±HH:MM`: the offset in seconds (checked later, so that an offset
/// out of range is OutOfRange rather than a syntax error).
fn offset(input: &[u8]) -> IResult<&[u8], Result<i64, TimestampError>, ()> {
    if let Ok((rest, _)) = alt((tag::<_, _, ()>(&b"Z"[..]), tag(&b"z"[..]))).parse(input) {
        return Ok((rest, Ok(0)));
    }
    let (rest, (sign, h, _, m)) =
        (alt((tag(&b"+"[..]), tag(&b"-"[..]))), digits(2), tag(&b":"[..]), digits(2)).parse(input)?;
    let (h, m) = (number(h), number(m));
    let secs = i64::from(h * 3600 + m * 60);
    let offset = match (h, m) {
        (0..=23, 0..=59) => Ok(if sign == b"-" { -secs } else { secs }),
        _ => Err(TimestampError::OutOfRange),
    };
    Ok((rest, offset))
}

/// Seconds since the epoch of a UTC date and time, each checked.
fn seconds_of((year, month, day): Date, (h, m, s): Clock) -> Result<i64, TimestampError> {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(TimestampError::OutOfRange),
    };
    if day == 0 || day > month_days || h > 23 || m > 59 || s > 60 {
        return Err(TimestampError::OutOfRange);
    }
    // Years have four digits: the day count fits 32 bits (no 64-bit division).
    let days = days_from_civil(year as i32, month, day);
    Ok(i64::from(days) * 86_400 + i64::from(h * 3600 + m * 60 + s))
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`), in 32 bits: any year of `i32` whose day count fits.
fn days_from_civil(year: i32, month: u32, day: u32) -> i32 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = ((month + 9) % 12) as i32;
    let day_of_year = (153 * month_from_march + 2) / 5 + day as i32 - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date of a day count from 1970-01-01 (the inverse of `days_from_civil`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::string::ToString;

    fn rfc(text: &str) -> Result<(i64, u32), TimestampError> {
        Timestamp::parse_rfc3339(text).map(|t| (t.unix_seconds(), t.subsec_nanos()))
    }

    #[test]
    fn rfc3339_to_unix_seconds() {
        let cases = [
            ("1970-01-01T00:00:00Z", (0, 0)),
            ("2021-09-18T03:31:56Z", (1_631_935_916, 0)),
            ("2009-02-13T23:31:30Z", (1_234_567_890, 0)),
            ("2026-11-26t21:47:55z", (1_795_729_675, 0)),
            ("2021-09-18T05:31:56+02:00", (1_631_935_916, 0)),
            ("2021-09-17T22:01:56-05:30", (1_631_935_916, 0)),
            ("2024-02-29T12:00:00.5Z", (1_709_208_000, 500_000_000)),
            ("2024-02-29T12:00:00.123456789123Z", (1_709_208_000, 123_456_789)),
            ("2000-02-29T00:00:00Z", (951_782_400, 0)),
            ("1969-12-31T23:59:59Z", (-1, 0)),
            ("1600-03-01T00:00:00Z", (-11_670_912_000, 0)),
            ("2016-12-31T23:59:60Z", (1_483_228_800, 0)),
        ];
        for (text, expected) in cases {
            assert_eq!(rfc(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn invalid_dates_and_syntax_are_errors() {
        use TimestampError::*;
        for text in [
            "2023-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2021-04-31T00:00:00Z",
            "2021-13-01T00:00:00Z",
            "2021-00-10T00:00:00Z",
            "2021-01-00T00:00:00Z",
            "2021-01-01T24:00:00Z",
            "2021-01-01T00:60:00Z",
            "2021-01-01T00:00:61Z",
            "2021-01-01T00:00:00+24:00",
            "2021-01-01T00:00:00+01:60",
        ] {
            assert_eq!(rfc(text), Err(OutOfRange), "{text}");
        }
        for text in [
            "",
            "2021-01-01",
            "2021-01-01 00:00:00Z",
            "2021-1-01T00:00:00Z",
            "2021-01-01T00:00:00",
            "2021-01-01T00:00:00.Z",
            "2021-01-01T00:00:00+0100",
            "2021-01-01T00:00:00Zx",
            "２０２１-01-01T00:00:00Z",
            "+2021-01-01T00:00:00Z",
        ] {
            assert_eq!(rfc(text), Err(Syntax), "{text}");
        }
    }

    #[test]
    fn event_times() {
        let t = Timestamp::parse_event_time;
        assert_eq!(t("21 Jan 2019 09:00:43 GMT").map(|t| t.unix_seconds()), Ok(1_548_061_243));
        assert_eq!(t("1 Mar 2020 00:00:00 GMT").map(|t| t.unix_seconds()), Ok(1_583_020_800));
        assert_eq!(t("30 Feb 2020 00:00:00 GMT"), Err(TimestampError::OutOfRange));
        for bad in [
            "21 January 2019 09:00:43 GMT",
            "21 jan 2019 09:00:43 GMT",
            "21 Jan 2019 09:00:43 UTC",
            "021 Jan 2019 09:00:43 GMT",
            "21 Jan 19 09:00:43 GMT",
        ] {
            assert_eq!(t(bad), Err(TimestampError::Syntax), "{bad}");
        }
    }

    #[test]
    fn displays_as_rfc3339_utc_and_round_trips() {
        for text in [
            "1970-01-01T00:00:00Z",
            "2026-11-26T21:47:55Z",
            "2024-02-29T12:00:00.5Z",
            "1969-12-31T23:59:59.000000001Z",
            "9999-12-31T23:59:59Z",
        ] {
            assert_eq!(Timestamp::parse_rfc3339(text).unwrap().to_string(), text);
        }
        assert_eq!(Timestamp::parse_rfc3339("2021-09-18T05:31:56+02:00").unwrap().to_string(), "2021-09-18T03:31:56Z");
        // Every day for 800 years round-trips through the two conversions.
        for days in (-200 * 366..600 * 366).step_by(1) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(i64::from(days_from_civil(y as i32, m, d)), days);
        }
    }
}
