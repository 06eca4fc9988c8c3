//! Personal identification numbers of 43 countries, the largest sources of foreign customers
//! among them. Most schemes come from the `stdnum` crate (checked against python-stdnum in the
//! differential tests); the ones it lacks are implemented here from their published rules.

use stdnum::Validator;

use crate::{Parsed, compact};

/// How one country's personal number is checked.
enum Scheme {
    /// A `stdnum` validator, by its `cc/name` key.
    Stdnum(&'static str),
    /// A rule implemented here.
    Own(&'static str, fn(&str) -> Result<String, String>),
}

use Scheme::{Own, Stdnum};

/// Country, then the schemes tried in order (the first that accepts the value wins).
static SCHEMES: &[(&str, &[Scheme])] = &[
    ("AR", &[Stdnum("ar/dni"), Stdnum("ar/cuit")]),
    ("AU", &[Stdnum("au/tfn")]),
    ("BG", &[Own("bg/egn", bulgaria)]),
    ("BR", &[Stdnum("br/cpf")]),
    ("CA", &[Stdnum("ca/sin")]),
    ("CL", &[Stdnum("cl/run")]),
    ("CN", &[Stdnum("cn/ric")]),
    ("CO", &[Stdnum("co/nit")]),
    ("CZ", &[Stdnum("cz/rc")]),
    ("DE", &[Stdnum("de/idnr")]),
    ("DK", &[Stdnum("dk/cpr")]),
    ("EG", &[Own("eg/nid", egypt)]),
    ("ES", &[Stdnum("es/dni"), Stdnum("es/nie")]),
    ("FI", &[Stdnum("fi/hetu")]),
    ("FR", &[Stdnum("fr/nir")]),
    ("GB", &[Stdnum("gb/nino")]),
    ("HK", &[Stdnum("hk/hkid")]),
    ("ID", &[Own("id/nik", indonesia)]),
    ("IL", &[Stdnum("il/idnr")]),
    ("IN", &[Stdnum("in/aadhaar")]),
    ("IR", &[Own("ir/codemeli", iran)]),
    ("IT", &[Stdnum("it/codicefiscale")]),
    ("JP", &[Own("jp/mynumber", japan)]),
    ("KR", &[Stdnum("kr/rrn")]),
    ("MX", &[Stdnum("mx/curp")]),
    ("MY", &[Stdnum("my/nric")]),
    ("NG", &[Own("ng/nin", nigeria)]),
    ("NL", &[Own("nl/bsn", netherlands)]),
    ("NO", &[Stdnum("no/fodselsnummer")]),
    ("NZ", &[Own("nz/ird", new_zealand)]),
    ("PK", &[Stdnum("pk/cnic")]),
    ("PL", &[Stdnum("pl/pesel")]),
    ("RO", &[Own("ro/cnp", romania)]),
    ("RU", &[Stdnum("ru/inn")]),
    ("SE", &[Own("se/personnummer", sweden)]),
    ("SG", &[Own("sg/nric", singapore)]),
    ("TH", &[Stdnum("th/idnr")]),
    ("TR", &[Stdnum("tr/tckimlik")]),
    ("TW", &[Stdnum("tw/natid")]),
    ("UA", &[Stdnum("ua/rntrc")]),
    ("US", &[Own("us/ssn", us_ssn)]),
    ("VN", &[Own("vn/cccd", vietnam)]),
    ("ZA", &[Stdnum("za/idnr")]),
];

/// Whether a country has a scheme here.
pub fn supported(cc: &str) -> bool {
    SCHEMES.iter().any(|(c, _)| *c == cc)
}

pub fn countries() -> Vec<&'static str> {
    SCHEMES.iter().map(|(c, _)| *c).collect()
}

/// Checks a personal number of country `cc`.
pub fn check(cc: &str, value: &str) -> Result<Parsed, String> {
    let schemes = SCHEMES
        .iter()
        .find(|(c, _)| *c == cc)
        .map(|(_, s)| *s)
        .ok_or_else(|| format!("no national ID scheme for {cc}"))?;
    let mut first_err = None;
    for s in schemes {
        let (key, r) = match s {
            Stdnum(key) => (
                *key,
                match stdnum::find(key) {
                    Some(v) => v
                        .validate(value)
                        .map(|ok| ok.compact)
                        .map_err(|e| e.to_string()),
                    None => Err(format!("scheme {key} is not available")),
                },
            ),
            Own(key, f) => (*key, f(value)),
        };
        match r {
            Ok(compact) => {
                let mut p = Parsed::new(compact).country(cc).detail("scheme", key);
                if key == "us/ssn" {
                    // Flag, never echo: an SSN is not to be logged or stored in clear.
                    p.normalized = Some("***-**-****".into());
                    p = p.detail("ssn", true);
                }
                return Ok(p);
            }
            Err(e) => {
                first_err.get_or_insert(format!("{key}: {e}"));
            }
        }
    }
    Err(first_err.unwrap_or_else(|| "no scheme accepted the value".into()))
}

fn digits(value: &str, len: usize) -> Result<String, String> {
    let v = compact(value);
    if !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err("must contain only digits".into());
    }
    if v.len() != len {
        return Err(format!("must have {len} digits"));
    }
    Ok(v)
}

fn num(s: &str) -> u32 {
    s.bytes().fold(0, |a, b| a * 10 + u32::from(b - b'0'))
}

fn date_ok(year: i32, month: u32, day: u32) -> bool {
    chrono::NaiveDate::from_ymd_opt(year, month, day).is_some()
}

/// Japan's Individual Number (マイナンバー): 12 digits, the last a check digit with weights
/// 6,5,4,3,2,7,6,5,4,3,2 modulo 11.
fn japan(value: &str) -> Result<String, String> {
    let v = digits(value, 12)?;
    let w = [6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
    let s: u32 = v
        .bytes()
        .take(11)
        .zip(w)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    let check = (11 - s % 11) % 11 % 10;
    if u32::from(v.as_bytes()[11] - b'0') != check {
        return Err("fails the check digit".into());
    }
    Ok(v)
}

/// Iran's national code (کد ملی): 10 digits, the last a check digit modulo 11.
fn iran(value: &str) -> Result<String, String> {
    let v = digits(value, 10)?;
    let d: Vec<u32> = v.bytes().map(|b| u32::from(b - b'0')).collect();
    if d.iter().all(|&x| x == d[0]) {
        return Err("a code of one repeated digit is not issued".into());
    }
    let s: u32 = d[..9]
        .iter()
        .enumerate()
        .map(|(i, x)| x * (10 - i as u32))
        .sum::<u32>()
        % 11;
    let ok = if s < 2 { d[9] == s } else { d[9] == 11 - s };
    if !ok {
        return Err("fails the check digit".into());
    }
    Ok(v)
}

/// Nigeria's National Identification Number: 11 digits, randomly assigned, with no public
/// check digit; only the shape can be checked.
fn nigeria(value: &str) -> Result<String, String> {
    let v = digits(value, 11)?;
    if v.starts_with('0') {
        return Err("a NIN does not start with 0".into());
    }
    Ok(v)
}

/// Egypt's national ID: 14 digits: century (2 = 1900s, 3 = 2000s), birth date YYMMDD, the
/// governorate of birth, a sequence whose last digit gives the sex, and a check digit whose
/// algorithm is not published (not checked).
fn egypt(value: &str) -> Result<String, String> {
    const GOVERNORATES: &[u32] = &[
        1, 2, 3, 4, 11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 23, 24, 25, 26, 27, 28, 29, 31, 32,
        33, 34, 35, 88,
    ];
    let v = digits(value, 14)?;
    let century = match v.as_bytes()[0] {
        b'2' => 1900,
        b'3' => 2000,
        _ => return Err("the first digit (century) must be 2 or 3".into()),
    };
    if !date_ok(century + num(&v[1..3]) as i32, num(&v[3..5]), num(&v[5..7])) {
        return Err("the birth date is not a date".into());
    }
    if !GOVERNORATES.contains(&num(&v[7..9])) {
        return Err("the governorate code is not assigned".into());
    }
    Ok(v)
}

/// Indonesia's NIK: 16 digits: province, regency and district codes, the birth date (day plus
/// 40 for women) and a serial number. The province is checked against the 38 province codes;
/// regencies are not.
fn indonesia(value: &str) -> Result<String, String> {
    const PROVINCES: &[u32] = &[
        11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36, 51, 52, 53, 61, 62, 63, 64,
        65, 71, 72, 73, 74, 75, 76, 81, 82, 91, 92, 93, 94, 95, 96,
    ];
    let v = digits(value, 16)?;
    if !PROVINCES.contains(&num(&v[..2])) {
        return Err("the province code is not assigned".into());
    }
    let day = num(&v[6..8]) % 40;
    let month = num(&v[8..10]);
    let yy = num(&v[10..12]) as i32;
    if !(date_ok(1900 + yy, month, day) || date_ok(2000 + yy, month, day)) {
        return Err("the birth date is not a date".into());
    }
    Ok(v)
}

/// Viet Nam's citizen identity card number (CCCD): 12 digits: the province of birth (001 to
/// 096), a digit for century and sex, the last two digits of the birth year, and six more.
fn vietnam(value: &str) -> Result<String, String> {
    let v = digits(value, 12)?;
    let province = num(&v[..3]);
    if !(1..=96).contains(&province) {
        return Err("the province code is not assigned".into());
    }
    Ok(v)
}

/// Singapore's NRIC and FIN: a prefix letter (S, T, F, G, M), seven digits and a check letter.
fn singapore(value: &str) -> Result<String, String> {
    let v = compact(value).to_ascii_uppercase();
    let b = v.as_bytes();
    if b.len() != 9 || !b[1..8].iter().all(u8::is_ascii_digit) {
        return Err("an NRIC or FIN is a letter, seven digits and a letter".into());
    }
    let w = [2, 7, 6, 5, 4, 3, 2];
    let s: u32 = b[1..8]
        .iter()
        .zip(w)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    let (offset, table) = match b[0] {
        b'S' => (0, b"JZIHGFEDCBA"),
        b'T' => (4, b"JZIHGFEDCBA"),
        b'F' => (0, b"XWUTRQPNMLK"),
        b'G' => (4, b"XWUTRQPNMLK"),
        b'M' => (3, b"KLJNPQRTUWX"),
        _ => return Err("the first letter must be S, T, F, G or M".into()),
    };
    let idx = ((s + offset) % 11) as usize;
    let expect = if b[0] == b'M' {
        table[10 - idx]
    } else {
        table[idx]
    };
    if b[8] != expect {
        return Err("fails the check letter".into());
    }
    Ok(v)
}

fn stdnum_key(key: &str, value: &str) -> Result<String, String> {
    stdnum::find(key)
        .ok_or_else(|| format!("scheme {key} is not available"))?
        .validate(value)
        .map(|v| v.compact)
        .map_err(|e| e.to_string())
}

/// Bulgaria's EGN: the stdnum check, and a real birth date (month plus 20 for the 1800s, plus
/// 40 for the 2000s).
fn bulgaria(value: &str) -> Result<String, String> {
    let v = stdnum_key("bg/egn", value)?;
    let (yy, mm, dd) = (num(&v[..2]) as i32, num(&v[2..4]), num(&v[4..6]));
    let (year, month) = match mm {
        1..=12 => (1900 + yy, mm),
        21..=32 => (1800 + yy, mm - 20),
        41..=52 => (2000 + yy, mm - 40),
        _ => return Err("the month is not a month".into()),
    };
    if !date_ok(year, month, dd) {
        return Err("the birth date is not a date".into());
    }
    Ok(v)
}

/// The Netherlands' BSN: nine digits, often written without leading zeros.
fn netherlands(value: &str) -> Result<String, String> {
    let v = compact(value);
    let padded = if (1..9).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit()) {
        format!("{v:0>9}")
    } else {
        v
    };
    stdnum_key("nl/bsn", &padded)
}

/// Sweden's personnummer: the stdnum check. Ten digits, or twelve with the century, written
/// without a separator are read as python-stdnum reads them: with `-` before the last four.
/// (The `+` of people aged 100 or more cannot be told from the digits alone.)
fn sweden(value: &str) -> Result<String, String> {
    let v: Vec<char> = value.chars().filter(|c| !matches!(c, ' ' | ':')).collect();
    let v: String = match v.len() {
        10 | 12 if !matches!(v[v.len() - 5], '-' | '+') => {
            let (head, tail) = v.split_at(v.len() - 4);
            head.iter().chain(['-'].iter()).chain(tail).collect()
        }
        _ => v.into_iter().collect(),
    };
    stdnum_key("se/personnummer", &v)
}

/// New Zealand's IRD number: the stdnum check, within the issued range (10,000,000 to
/// 150,000,000).
fn new_zealand(value: &str) -> Result<String, String> {
    let v = stdnum_key("nz/ird", value)?;
    let n: u64 = v
        .parse()
        .map_err(|_| "must contain only digits".to_owned())?;
    if !(10_000_001..150_000_000).contains(&n) {
        return Err("outside the range of issued IRD numbers".into());
    }
    Ok(v)
}

/// Romania's CNP: sex and century, birth date, county of registration (including 70 for
/// registrations anywhere and 80 to 83), a serial number and a check digit with weights
/// 2,7,9,1,4,6,3,5,8,2,7,9 modulo 11 (10 counts as 1).
fn romania(value: &str) -> Result<String, String> {
    let v = digits(value, 13)?;
    let century = match v.as_bytes()[0] {
        b'1' | b'2' | b'7' | b'8' | b'9' => 1900,
        b'3' | b'4' => 1800,
        b'5' | b'6' => 2000,
        _ => return Err("the first digit (sex and century) is not 1 to 9".into()),
    };
    let year = century + num(&v[1..3]) as i32;
    let Some(born) = chrono::NaiveDate::from_ymd_opt(year, num(&v[3..5]), num(&v[5..7])) else {
        return Err("the birth date is not a date".into());
    };
    if born > chrono::Utc::now().date_naive() {
        return Err("the birth date is in the future".into());
    }
    let county = num(&v[7..9]);
    if !matches!(county, 1..=48 | 51 | 52 | 70 | 80..=83) {
        return Err("the county code is not assigned".into());
    }
    let w = [2, 7, 9, 1, 4, 6, 3, 5, 8, 2, 7, 9];
    let s: u32 = v
        .bytes()
        .take(12)
        .zip(w)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    let check = if s % 11 == 10 { 1 } else { s % 11 };
    if u32::from(v.as_bytes()[12] - b'0') != check {
        return Err("fails the check digit".into());
    }
    Ok(v)
}

fn us_ssn(value: &str) -> Result<String, String> {
    stdnum::country::us::SSN
        .validate(value)
        .map(|v| v.compact)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(cc: &str, v: &str) {
        assert!(check(cc, v).is_ok(), "{cc} {v}: {:?}", check(cc, v).err());
    }

    fn bad(cc: &str, v: &str) {
        assert!(check(cc, v).is_err(), "{cc} {v} should fail");
    }

    #[test]
    fn forty_three_countries() {
        assert_eq!(countries().len(), 43);
        for cc in countries() {
            assert!(crate::country::is_alpha2(cc), "{cc}");
        }
    }

    #[test]
    fn own_schemes() {
        ok("JP", "123456789018");
        bad("JP", "123456789010");
        ok("IR", "0499370899");
        bad("IR", "0499370898");
        bad("IR", "1111111111");
        ok("SG", "S1234567D");
        bad("SG", "S1234567A");
        ok("SG", "T1234567J");
        ok("SG", "F1234567N");
        ok("SG", "G1234567X");
        ok("EG", "29001011234567");
        bad("EG", "29013011234567");
        ok("ID", "3171014101900001");
        bad("ID", "9971014101900001");
        ok("NG", "12345678901");
        bad("NG", "1234567890");
        ok("VN", "001099012345");
        bad("VN", "099099012345");
    }

    #[test]
    fn stdnum_schemes_and_ssn_masking() {
        ok("BR", "390.533.447-05");
        bad("BR", "390.533.447-06");
        ok("ES", "X2482300W");
        ok("ES", "54362315K");
        let s = check("US", "536-90-4399").unwrap();
        assert_eq!(s.normalized.as_deref(), Some("***-**-****"));
    }

    #[test]
    fn wrapped_stdnum_schemes() {
        bad("BG", "9253169210");
        ok("NL", "1112223");
        bad("NZ", "497951852");
    }

    #[test]
    fn spellings_python_stdnum_accepts() {
        for (cc, v, canonical) in [
            // Finnish codes in lower case.
            ("FI", "131052-308t", "131052-308T"),
            ("FI", "131002a301n", "131002A301N"),
            // Swedish personnummer as ten or twelve digits, the separator put back.
            ("SE", "8803200016", "880320-0016"),
            ("SE", "198803200016", "880320-0016"),
            ("SE", "880320-0016", "880320-0016"),
        ] {
            let got = check(cc, v).map(|p| p.normalized);
            assert_eq!(got, Ok(Some(canonical.to_owned())), "{cc} {v}");
        }
        // Century sign A is the 2000s: a birth date in 2052 is refused whatever the case.
        bad("FI", "131052a308t");
        bad("FI", "131052A308T");
        bad("SE", "8803200018");
        bad("SE", "88032000160");
    }

    #[test]
    fn romania() {
        ok("RO", "1630615123457");
        ok("RO", "1630615823459");
        bad("RO", "1630615123458");
        bad("RO", "1631315123457");
    }
}
