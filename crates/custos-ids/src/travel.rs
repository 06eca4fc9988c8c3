//! ICAO Doc 9303 machine-readable zones: TD1 (3 x 30), TD2 (2 x 36), TD3 (2 x 44), MRV-A
//! (2 x 44) and MRV-B (2 x 36), through the `mrz` crate. Every check digit is verified, every
//! field is returned, and expiry is judged on a given date.

use chrono::NaiveDate;
use serde_json::json;

use crate::Parsed;
use crate::country::lookup;

/// The fields of a parsed zone that identity checks compare against what a customer declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    pub format: &'static str,
    pub document_type: String,
    pub issuing_state: String,
    pub surname: String,
    pub given_names: String,
    pub document_number: String,
    pub nationality: String,
    pub birth_date: Option<NaiveDate>,
    pub expiry_date: Option<NaiveDate>,
    pub sex: String,
}

/// An ICAO state code as ISO alpha-2, where there is one (`D` is Germany in Doc 9303).
pub fn icao_to_alpha2(code: &str) -> Option<&'static str> {
    match code.trim_end_matches('<') {
        "D" => Some("DE"),
        c if c.len() == 3 => lookup(c).map(|c| c.alpha2),
        _ => None,
    }
}

fn date(d: mrz::MrzDate) -> Option<NaiveDate> {
    d.calendar()
        .and_then(|d| NaiveDate::from_ymd_opt(d.year, d.month, d.day))
}

/// Parses a zone (rows joined by newlines) without judging its check digits.
pub fn parse(value: &str) -> Result<(Zone, mrz::MrzData), String> {
    let rows: Vec<&str> = value
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let visa = rows.first().is_some_and(|r| r.starts_with('V'));
    let lens: Vec<usize> = rows.iter().map(|r| r.len()).collect();
    let (format, r) = match (lens.as_slice(), visa) {
        ([30, 30, 30], _) => ("td1", mrz::parse_td1(rows[0], rows[1], rows[2])),
        ([36, 36], false) => ("td2", mrz::parse_td2(rows[0], rows[1])),
        ([36, 36], true) => ("mrv_b", mrz::parse_mrv_b(rows[0], rows[1])),
        ([44, 44], false) => ("td3", mrz::parse_td3(rows[0], rows[1])),
        ([44, 44], true) => ("mrv_a", mrz::parse_mrv_a(rows[0], rows[1])),
        _ => {
            return Err(
                "not a machine-readable zone: expected 3 rows of 30, or 2 rows of 36 or 44".into(),
            );
        }
    };
    let d = r.map_err(|e| format!("malformed zone: {e}"))?;
    let sex = match d.sex {
        mrz::Sex::Male => "M".to_owned(),
        mrz::Sex::Female => "F".to_owned(),
        mrz::Sex::Unspecified => "X".to_owned(),
        other => format!("{other:?}"),
    };
    let zone = Zone {
        format,
        document_type: d.document_type.clone(),
        issuing_state: d.issuing_country.clone(),
        surname: d.surname.clone(),
        given_names: d.given_names.clone(),
        document_number: d.full_document_number().to_owned(),
        nationality: d.nationality.clone(),
        birth_date: date(d.date_of_birth),
        expiry_date: date(d.date_of_expiry),
        sex,
    };
    Ok((zone, d))
}

/// What a customer declared, to hold a document's zone against.
#[derive(Debug, Default)]
pub struct Declared<'a> {
    pub full_name: &'a str,
    pub family_name: Option<&'a str>,
    pub given_names: Option<&'a str>,
    pub birth_date: Option<NaiveDate>,
    /// ISO alpha-2 codes.
    pub citizenships: Vec<&'a str>,
    pub document_number: Option<&'a str>,
    pub issuing_country: Option<&'a str>,
    pub expires_on: Option<NaiveDate>,
}

/// The words of a name as Doc 9303 writes them (transliterated, upper case).
fn mrz_words(s: &str) -> Vec<String> {
    mrz::encode_name_component(s)
        .split('<')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Every word of `zone` appears among `declared`; the zone's last word may be truncated.
fn words_match(zone: &str, declared: &[String]) -> bool {
    let words: Vec<&str> = zone.split([' ', '<']).filter(|w| !w.is_empty()).collect();
    !words.is_empty()
        && words.iter().enumerate().all(|(i, w)| {
            declared
                .iter()
                .any(|d| d == w || (i + 1 == words.len() && w.len() >= 3 && d.starts_with(w)))
        })
}

/// Checks a document's zone, its expiry on `today`, and that it agrees with what was declared.
/// The error names the field to blame and the reason, never a value.
pub fn cross_check(
    value: &str,
    d: &Declared<'_>,
    today: NaiveDate,
) -> Result<Zone, (&'static str, String)> {
    check(value, None).map_err(|e| ("mrz", e))?;
    let (z, _) = parse(value).map_err(|e| ("mrz", e))?;
    let mut declared: Vec<String> = mrz_words(d.full_name);
    for n in [d.family_name, d.given_names].into_iter().flatten() {
        declared.extend(mrz_words(n));
    }
    if !words_match(&z.surname, &declared) {
        return Err(("mrz", "the zone's surname is not the declared name".into()));
    }
    if !z.given_names.trim().is_empty() && !words_match(&z.given_names, &declared) {
        return Err((
            "mrz",
            "the zone's given names are not the declared name".into(),
        ));
    }
    if let (Some(a), Some(b)) = (d.birth_date, z.birth_date)
        && a != b
    {
        return Err((
            "mrz",
            "the zone's birth date differs from the declared date of birth".into(),
        ));
    }
    if !d.citizenships.is_empty()
        && let Some(nat) = icao_to_alpha2(&z.nationality)
        && !d.citizenships.contains(&nat)
    {
        return Err((
            "mrz",
            "the zone's nationality is not among the declared citizenships".into(),
        ));
    }
    if let Some(n) = d.document_number {
        let typed: String = n
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_uppercase();
        if typed != z.document_number.replace('<', "") {
            return Err((
                "number",
                "differs from the document number in the zone".into(),
            ));
        }
    }
    if let Some(cc) = d.issuing_country
        && icao_to_alpha2(&z.issuing_state).is_some_and(|z| z != cc)
    {
        return Err((
            "issuing_country",
            "differs from the issuing state in the zone".into(),
        ));
    }
    if let (Some(a), Some(b)) = (d.expires_on, z.expiry_date)
        && a != b
    {
        return Err((
            "expires_on",
            "differs from the expiry date in the zone".into(),
        ));
    }
    if z.expiry_date.is_some_and(|e| e < today) {
        return Err(("mrz", "the document has expired".into()));
    }
    Ok(z)
}

pub fn check(value: &str, on: Option<NaiveDate>) -> Result<Parsed, String> {
    let (z, d) = parse(value)?;
    for (field, code) in [
        ("issuing state", &z.issuing_state),
        ("nationality", &z.nationality),
    ] {
        // No check digit covers these: an unknown code is the only sign of a misread.
        if mrz::country_name(code.trim_end_matches('<')).is_none() {
            return Err(format!("the {field} is not an ICAO or ISO 3166 code"));
        }
    }
    // The name field: primary and secondary identifiers separated by one `<<`, names by one
    // `<`, fillers only at the end. A longer run of fillers followed by letters is a misread
    // or a tampered zone.
    let rows: Vec<&str> = value
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let name_field = match z.format {
        "td1" => rows.get(2).map(|r| &r[..]),
        _ => rows.first().and_then(|r| r.get(5..)),
    }
    .unwrap_or("");
    let names = name_field.trim_end_matches('<');
    if names.contains("<<<") || names.matches("<<").count() > 1 {
        return Err("the name field has letters after its fillers".into());
    }
    // The name field holds letters and fillers only; a digit there is a misread.
    if !(z.surname.chars().chain(z.given_names.chars())).all(|c| c.is_ascii_uppercase() || c == ' ')
    {
        return Err("the name field holds characters other than letters".into());
    }
    if !matches!(
        d.sex,
        mrz::Sex::Male | mrz::Sex::Female | mrz::Sex::Unspecified
    ) && z.sex != "X"
    {
        return Err("the sex field is not M, F, X or <".into());
    }
    if !matches!(d.date_of_expiry, mrz::MrzDate::Calendar(_)) {
        return Err("the expiry date is not a calendar date".into());
    }
    if !matches!(
        d.date_of_birth,
        mrz::MrzDate::Calendar(_) | mrz::MrzDate::PartiallyUnknown(_) | mrz::MrzDate::Unknown
    ) {
        return Err("the birth date is not a date".into());
    }
    let failed = d.checks.failed();
    if !failed.is_empty() {
        let names: Vec<&str> = failed.iter().map(|f| f.as_str()).collect();
        return Err(format!("check digit fails: {}", names.join(", ")));
    }
    if !d.valid() {
        return Err("the zone carries no verifiable check digit".into());
    }
    let checks = json!({
        "document_number": d.checks.document_number,
        "date_of_birth": d.checks.date_of_birth,
        "date_of_expiry": d.checks.date_of_expiry,
        "personal_number": d.checks.personal_number,
        "composite": d.checks.composite,
    });
    let mut p = Parsed::new(d.mrz_lines.clone())
        .detail("format", z.format)
        .detail("document_type", z.document_type.clone())
        .detail("issuing_state", z.issuing_state.clone())
        .detail("surname", z.surname.clone())
        .detail("given_names", z.given_names.clone())
        .detail("document_number", z.document_number.clone())
        .detail("nationality", z.nationality.clone())
        .detail("birth_date", z.birth_date.map(|d| d.to_string()))
        .detail("sex", z.sex.clone())
        .detail("expiry_date", z.expiry_date.map(|d| d.to_string()))
        .detail("optional_data", d.optional_data_1.clone())
        .detail("checks", checks);
    if let Some(o) = &d.optional_data_2 {
        p = p.detail("optional_data_2", o.clone());
    }
    if let Some(on) = on {
        p = p.detail("expired", z.expiry_date.map(|e| e < on));
    }
    if let Some(cc) = icao_to_alpha2(&z.issuing_state) {
        p = p.country(cc);
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TD3: &str = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10";
    const TD1: &str = "I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<";

    #[test]
    fn icao_specimens() {
        let p = check(TD3, NaiveDate::from_ymd_opt(2013, 1, 1)).unwrap();
        assert_eq!(p.details["surname"], "ERIKSSON");
        assert_eq!(p.details["given_names"], "ANNA MARIA");
        assert_eq!(p.details["birth_date"], "1974-08-12");
        assert_eq!(p.details["expiry_date"], "2012-04-15");
        assert_eq!(p.details["expired"], true);
        let p = check(TD1, None).unwrap();
        assert_eq!(p.details["format"], "td1");
        assert_eq!(p.details["document_number"], "D23145890");
    }

    #[test]
    fn a_changed_digit_is_caught() {
        let bad = TD3.replace("7408122", "7408132");
        assert!(check(&bad, None).unwrap_err().contains("check digit"));
        assert!(check("P<UTO", None).is_err());
        assert!(check("", None).is_err());
    }

    #[test]
    fn icao_codes() {
        assert_eq!(icao_to_alpha2("D<<"), Some("DE"));
        assert_eq!(icao_to_alpha2("FRA"), Some("FR"));
        assert_eq!(icao_to_alpha2("UTO"), None);
    }

    #[test]
    fn unknown_state_codes_are_refused() {
        let unknown = TD3.replace("L898902C36UTO", "L898902C36QQQ");
        assert!(check(&unknown, None).unwrap_err().contains("nationality"));
    }

    #[test]
    fn fields_no_check_digit_covers() {
        let digit_in_name = TD3.replace("ANNA<MARIA<<<<", "ANNA<MARIA<<3<");
        assert!(check(&digit_in_name, None).unwrap_err().contains("name"));
        let sex = TD3.replace("7408122F", "7408122P");
        assert!(check(&sex, None).unwrap_err().contains("sex"));
    }

    #[test]
    fn letters_after_fillers_are_refused() {
        let stray = TD3.replace("<<<<<<<<<<<<<<<<<<<\n", "<<<<<<<<<<<<<<<<X<<\n");
        assert!(
            check(&stray, None).unwrap_err().contains("fillers"),
            "{stray}"
        );
    }

    #[test]
    fn cross_checks_against_what_was_declared() {
        let day = NaiveDate::from_ymd_opt(2011, 1, 1).unwrap();
        let d = Declared {
            full_name: "Anna Maria Eriksson",
            birth_date: NaiveDate::from_ymd_opt(1974, 8, 12),
            document_number: Some("L898902C3"),
            ..Default::default()
        };
        assert!(cross_check(TD3, &d, day).is_ok());
        let wrong_name = Declared {
            full_name: "Anna Svensson",
            ..Default::default()
        };
        assert_eq!(cross_check(TD3, &wrong_name, day).unwrap_err().0, "mrz");
        let wrong_dob = Declared {
            birth_date: NaiveDate::from_ymd_opt(1975, 8, 12),
            ..d
        };
        assert!(
            cross_check(TD3, &wrong_dob, day)
                .unwrap_err()
                .1
                .contains("birth date")
        );
        let later = NaiveDate::from_ymd_opt(2013, 1, 1).unwrap();
        let d = Declared {
            full_name: "Anna Maria Eriksson",
            ..Default::default()
        };
        assert!(
            cross_check(TD3, &d, later)
                .unwrap_err()
                .1
                .contains("expired")
        );
        let accented = Declared {
            full_name: "Änna Maria Eriksson",
            ..Default::default()
        };
        assert!(
            cross_check(TD3, &accented, day).is_err(),
            "Ä transliterates to AE"
        );
    }
}
