//! Wall-clock times in the service's documents: RFC 3339 (`2026-11-26T21:47:55Z`,
//! credentials, identity, spot and rebalance notices) and the maintenance
//! events' `21 Jan 2019 09:00:43 GMT`. Both become seconds since the Unix epoch.

use core::fmt;

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
    /// February 30th, or 24:00), or an instant outside
    /// 0000-01-01T00:00:00Z ..= 9999-12-31T23:59:59Z once the offset is
    /// applied (which RFC 3339 UTC could not write back).
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

    /// The earliest instant RFC 3339 writes: 0000-01-01T00:00:00Z.
    pub const MIN: Timestamp = Timestamp { secs: -62_167_219_200, nanos: 0 };

    /// The latest whole second RFC 3339 writes: 9999-12-31T23:59:59Z.
    pub const MAX: Timestamp = Timestamp { secs: 253_402_300_799, nanos: 999_999_999 };

    /// Parses RFC 3339: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, `T` and `Z`
    /// in either case; a leap second (`:60`) is the next second; fractions
    /// beyond nanoseconds are cut. The instant, offset applied, must lie in
    /// [`Timestamp::MIN`] ..= [`Timestamp::MAX`].
    pub fn parse_rfc3339(text: &str) -> Result<Timestamp, TimestampError> {
        Timestamp::rfc3339(text.as_bytes())
    }

    /// [`Timestamp::parse_rfc3339`] on bytes.
    pub(crate) fn rfc3339(bytes: &[u8]) -> Result<Timestamp, TimestampError> {
        use TimestampError::Syntax;
        let (date, clock) = match crate::WIDE {
            true => head_by_words(bytes),
            false => head_by_bytes(bytes),
        }
        .ok_or(Syntax)?;
        let (mut rest, mut nanos) = (bytes.get(19..).unwrap_or_default(), 0);
        if let [b'.', fraction @ ..] = rest {
            let digits = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
            if digits == 0 {
                return Err(Syntax);
            }
            // The first nine digits, then zeros: nanoseconds.
            for i in 0..9 {
                nanos = nanos * 10 + fraction.get(i).filter(|_| i < digits).map_or(0, |d| u32::from(d - b'0'));
            }
            rest = fraction.get(digits..).unwrap_or_default();
        }
        let offset = match rest {
            [z] if z | 0x20 == b'z' => 0,
            [sign @ (b'+' | b'-'), hhmm @ ..] => {
                let mut offset = [0; 2];
                if !read_fields(hhmm, b"dd:dd", &mut offset) {
                    return Err(Syntax);
                }
                let [h, m] = offset.map(u32::from);
                if h > 23 || m > 59 {
                    return Err(TimestampError::OutOfRange);
                }
                let secs = i64::from(h * 3600 + m * 60);
                if *sign == b'-' { -secs } else { secs }
            }
            _ => return Err(Syntax),
        };
        let t = Timestamp { secs: civil_seconds(date, clock)? - offset, nanos };
        if t < Timestamp::MIN || t > Timestamp::MAX {
            return Err(TimestampError::OutOfRange);
        }
        Ok(t)
    }

    /// Parses the maintenance events' form: `21 Jan 2019 09:00:43 GMT` (a day of
    /// one or two digits, an English month abbreviation).
    pub fn parse_event_time(text: &str) -> Result<Timestamp, TimestampError> {
        Timestamp::event_time(text.as_bytes())
    }

    /// Parses an HTTP `Date` in IMF-fixdate form: `Mon, 07 Dec 2026 20:34:00
    /// GMT` (the weekday is not checked against the date).
    pub fn parse_http_date(text: &str) -> Result<Timestamp, TimestampError> {
        match text.as_bytes().split_at_checked(5) {
            Some((day, rest)) if day.get(3..) == Some(b", ") && rest.len() == 24 => Timestamp::event_time(rest),
            _ => Err(TimestampError::Syntax),
        }
    }

    /// [`Timestamp::parse_event_time`] on bytes.
    pub(crate) fn event_time(bytes: &[u8]) -> Result<Timestamp, TimestampError> {
        // A day of one digit: the same layout, one byte shorter.
        let short = usize::from(bytes.get(1) == Some(&b' '));
        let layout = b"dd Mmm dddd dd:dd:dd GMT".get(short..).unwrap_or_default();
        let mut fields = [0; 5];
        if !read_fields(bytes, layout, &mut fields) {
            return Err(TimestampError::Syntax);
        }
        const MONTHS: &[u8; 36] = b"JanFebMarAprMayJunJulAugSepOctNovDec";
        let name = bytes.get(3 - short..6 - short).unwrap_or_default();
        let month = MONTHS.chunks_exact(3).position(|m| m.iter().zip(name).all(|(a, b)| a == b));
        let month = month.ok_or(TimestampError::Syntax)? as u32 + 1;
        let [day, year, h, m, s] = fields.map(u32::from);
        Ok(Timestamp { secs: civil_seconds((year, month, day), (h, m, s))?, nanos: 0 })
    }
}

/// A date and a time of day: (year, month, day), (hour, minute, second).
type DateTime = ((u32, u32, u32), (u32, u32, u32));

/// `YYYY-MM-DDTHH:MM:SS` at the front of `bytes`, as three words (bytes 0, 8
/// and 11 on) each checked whole ([`Layout`]): fast where words are 64 bits.
fn head_by_words(bytes: &[u8]) -> Option<DateTime> {
    let word = |at: usize| bytes.get(at..).and_then(<[u8]>::first_chunk::<8>).map(|w| u64::from_le_bytes(*w));
    let (date, day_time, clock) = (word(0)?, word(8)?, word(11)?);
    if !DATE.fits(date) || !DAY_TIME.fits(day_time) || !CLOCK.fits(clock) {
        return None;
    }
    let two = |w: u64, at: u32| ((w >> (8 * at)) & 0xf) as u32 * 10 + ((w >> (8 * at + 8)) & 0xf) as u32;
    let year = two(date, 0) * 100 + two(date, 2);
    Some(((year, two(date, 5), two(day_time, 0)), (two(clock, 0), two(clock, 3), two(clock, 6))))
}

/// [`head_by_words`] a byte at a time against the layout's text: small where
/// 64-bit words would take two registers each.
fn head_by_bytes(bytes: &[u8]) -> Option<DateTime> {
    let mut fields = [0; 6];
    if !read_fields(bytes.get(..19)?, b"dddd-dd-ddTdd:dd:dd", &mut fields) {
        return None;
    }
    let [year, month, day, h, m, s] = fields.map(u32::from);
    Some(((year, month, day), (h, m, s)))
}

/// Eight bytes laid out as digits and fixed bytes, checked as one word: a
/// byte is a digit when it is `0x3_` (`mask` 0xf0, `pattern` 0x30) and stays
/// so with 6 added (`six`), that is when its low half is 9 or less; a fixed
/// byte is itself (`mask` 0xff; 0xdf for a letter of either case). Once the
/// first test holds, no byte can carry into the next in the second.
struct Layout {
    mask: u64,
    pattern: u64,
    six: u64,
}

impl Layout {
    /// The layout of `text`: `d` a digit, `T` the letter in either case,
    /// anything else itself. For constants only: evaluated when compiling,
    /// where an index out of bounds is a compile error, not a panic.
    #[allow(clippy::indexing_slicing)]
    const fn of(text: &[u8; 8]) -> Layout {
        let (mut mask, mut pattern, mut six, mut i) = ([0u8; 8], [0u8; 8], [0u8; 8], 0);
        while i < 8 {
            (mask[i], pattern[i], six[i]) = match text[i] {
                b'd' => (0xf0, 0x30, 6),
                b'T' => (0xdf, b'T', 0),
                other => (0xff, other, 0),
            };
            i += 1;
        }
        Layout { mask: u64::from_le_bytes(mask), pattern: u64::from_le_bytes(pattern), six: u64::from_le_bytes(six) }
    }

    fn fits(&self, word: u64) -> bool {
        word & self.mask == self.pattern && word.wrapping_add(self.six) & self.mask == self.pattern
    }
}

const DATE: Layout = Layout::of(b"dddd-dd-");
const DAY_TIME: Layout = Layout::of(b"ddTdd:dd");
const CLOCK: Layout = Layout::of(b"dd:dd:dd");

/// Reads `text` laid out as `pattern` (`d` a digit, `M` an upper-case and
/// `m` a lower-case letter, `T` that letter in either case, any other byte
/// itself), each run of digits into the next of `fields` (of four digits at
/// most): false if it is not laid out so. Fields of 16 bits, so that zeroing
/// them is a few stores.
fn read_fields(text: &[u8], pattern: &[u8], fields: &mut [u16]) -> bool {
    let (mut field, mut in_digits) = (0, false);
    if text.len() != pattern.len() {
        return false;
    }
    for (&b, &p) in text.iter().zip(pattern) {
        let fits = match p {
            b'd' => b.is_ascii_digit(),
            b'M' => b.is_ascii_uppercase(),
            b'm' => b.is_ascii_lowercase(),
            b'T' => b | 0x20 == b't',
            _ => b == p,
        };
        if !fits {
            return false;
        }
        if p == b'd' {
            match fields.get_mut(field) {
                Some(n) => *n = *n * 10 + u16::from(b - b'0'),
                None => return false,
            }
        } else if in_digits {
            field += 1;
        }
        in_digits = p == b'd';
    }
    true
}

/// Seconds since the epoch of a UTC date (year, month, day) and time (hour,
/// minute, second), each checked.
fn civil_seconds((year, month, day): (u32, u32, u32), (h, m, s): (u32, u32, u32)) -> Result<i64, TimestampError> {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    // 28 plus two bits a month (31 days: 3, 30 days: 2, February: 0), and a
    // day for February 29th.
    let month_days = 28 + (0x00ee_fbb3_u32 >> (2 * (month.wrapping_sub(1) % 16)) & 3) + u32::from(leap && month == 2);
    if month == 0 || month > 12 || day == 0 || day > month_days || h > 23 || m > 59 || s > 60 {
        return Err(TimestampError::OutOfRange);
    }
    // Years have four digits: the day count fits 32 bits (no 64-bit division).
    let days = days_from_civil(year, month, day);
    Ok(i64::from(days) * 86_400 + i64::from(h * 3600 + m * 60 + s))
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

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`) of a year 0 to 9999, in unsigned 32-bit arithmetic: the
/// years are counted from 400 years earlier (146,097 days), so nothing is
/// negative until the end.
fn days_from_civil(year: u32, month: u32, day: u32) -> i32 {
    let shifted = year + 400 - u32::from(month <= 2);
    let (era, year_of_era) = (shifted / 400, shifted % 400);
    let month_from_march = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    (era * 146_097 + day_of_era) as i32 - (719_468 + 146_097)
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
            // Offsets that move the instant out of the years RFC 3339 writes.
            "9999-12-31T23:59:59-23:59",
            "9999-12-31T23:59:59-00:01",
            "9999-12-31T23:59:60Z",
            "0000-01-01T00:00:00+00:01",
            "0000-01-01T23:58:59.999+23:59",
        ] {
            assert_eq!(rfc(text), Err(OutOfRange), "{text}");
        }
        // The edges themselves are in.
        assert_eq!(Timestamp::parse_rfc3339("0000-01-01T00:00:00Z"), Ok(Timestamp::MIN));
        assert_eq!(Timestamp::parse_rfc3339("9999-12-31T23:59:59.999999999Z"), Ok(Timestamp::MAX));
        assert_eq!(rfc("0000-01-01T23:59:01+23:59"), Ok((Timestamp::MIN.unix_seconds() + 1, 0)));
        assert_eq!(rfc("9999-12-31T00:00:00-23:59"), Ok((Timestamp::MAX.unix_seconds() - 59, 0)));
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

    /// The two readers of `YYYY-MM-DDTHH:MM:SS` (one per word size) agree on
    /// every input: the valid ones, and each with any byte changed to any value.
    #[test]
    fn both_head_readers_agree() {
        for text in
            ["2021-09-18T03:31:56Z", "0000-01-01t00:00:00Z", "9999-12-31T23:59:59.5+01:00", "2021-13-45T99:99:99Z"]
        {
            assert!(head_by_words(text.as_bytes()).is_some(), "{text}");
            for at in 0..19 {
                for byte in 0..=u8::MAX {
                    let mut changed = text.as_bytes().to_vec();
                    changed[at] = byte;
                    assert_eq!(head_by_words(&changed), head_by_bytes(&changed), "{changed:?}");
                }
            }
            assert_eq!((head_by_words(&text.as_bytes()[..18]), head_by_bytes(&text.as_bytes()[..18])), (None, None));
        }
    }

    #[test]
    fn event_times() {
        let t = Timestamp::parse_event_time;
        assert_eq!(t("21 Jan 2019 09:00:43 GMT").map(|t| t.unix_seconds()), Ok(1_548_061_243));
        assert_eq!(t("1 Mar 2020 00:00:00 GMT").map(|t| t.unix_seconds()), Ok(1_583_020_800));
        assert_eq!(t("30 Feb 2020 00:00:00 GMT"), Err(TimestampError::OutOfRange));
        assert_eq!(t("0 Feb 2020 00:00:00 GMT"), Err(TimestampError::OutOfRange));
        assert_eq!(t("09 Dec 2020 23:59:60 GMT").map(|t| t.to_string()).as_deref(), Ok("2020-12-10T00:00:00Z"));
        for bad in [
            "21 January 2019 09:00:43 GMT",
            "21 jan 2019 09:00:43 GMT",
            "21 Jan 2019 09:00:43 UTC",
            "021 Jan 2019 09:00:43 GMT",
            "21 Jan 19 09:00:43 GMT",
            "x Jan 2019 09:00:43 GMT",
            "2x Jan 2019 09:00:43 GMT",
            " 1 Jan 2019 09:00:43 GMT",
            "1 Jan 2019 09:00:43 GMT ",
            "1 Jan 2019 9:00:43 GMT",
            "",
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
            assert_eq!(i64::from(days_from_civil(y as u32, m, d)), days);
        }
    }
}
