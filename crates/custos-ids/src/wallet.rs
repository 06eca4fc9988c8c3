//! Virtual-currency wallet addresses (EO 1(a)(ii)(B)): Bitcoin (base58check P2PKH and P2SH,
//! bech32 and bech32m segwit; mainnet and testnet told apart), Ethereum and EVM chains (EIP-55
//! checksum when in mixed case), Litecoin, Tron, Solana and XRP.
//!
//! A value is `ADDRESS` (the chain is recognised from its form) or `CHAIN:ADDRESS`.

use tiny_keccak::{Hasher, Keccak};

use crate::Parsed;

fn found(chain: &str, network: &str, kind: &str, normalized: String) -> Parsed {
    Parsed::new(normalized)
        .detail("chain", chain)
        .detail("network", network)
        .detail("type", kind)
}

fn base58check(s: &str, alphabet: &'static bs58::Alphabet) -> Option<Vec<u8>> {
    bs58::decode(s)
        .with_alphabet(alphabet)
        .with_check(None)
        .into_vec()
        .ok()
}

fn segwit(s: &str) -> Option<Parsed> {
    let lower = s.to_ascii_lowercase();
    if s != lower && s != s.to_ascii_uppercase() {
        return None; // bech32 forbids mixed case
    }
    let (hrp, version, program) = bech32::segwit::decode(&lower).ok()?;
    let (chain, network) = match hrp.as_str() {
        "bc" => ("bitcoin", "mainnet"),
        "tb" => ("bitcoin", "testnet"),
        "bcrt" => ("bitcoin", "regtest"),
        "ltc" => ("litecoin", "mainnet"),
        "tltc" => ("litecoin", "testnet"),
        _ => return None,
    };
    let v = version.to_u8();
    let kind = match (v, program.len()) {
        (0, 20) => "p2wpkh",
        (0, 32) => "p2wsh",
        (1, 32) => "p2tr",
        _ => "segwit",
    };
    Some(found(chain, network, kind, lower).detail("witness_version", v))
}

fn legacy(s: &str) -> Option<Parsed> {
    let data = base58check(s, bs58::Alphabet::BITCOIN)?;
    if data.len() != 21 {
        return None;
    }
    let (chain, network, kind) = match data[0] {
        0x00 => ("bitcoin", "mainnet", "p2pkh"),
        0x05 => ("bitcoin", "mainnet", "p2sh"),
        0x6f => ("bitcoin", "testnet", "p2pkh"),
        0xc4 => ("bitcoin", "testnet", "p2sh"),
        0x30 => ("litecoin", "mainnet", "p2pkh"),
        0x32 => ("litecoin", "mainnet", "p2sh"),
        0x41 => ("tron", "mainnet", "account"),
        _ => return None,
    };
    Some(found(chain, network, kind, s.to_owned()))
}

fn xrp(s: &str) -> Option<Parsed> {
    if !s.starts_with('r') {
        return None;
    }
    let data = base58check(s, bs58::Alphabet::RIPPLE)?;
    (data.len() == 21 && data[0] == 0).then(|| found("xrp", "mainnet", "account", s.to_owned()))
}

fn solana(s: &str) -> Option<Parsed> {
    if !(32..=44).contains(&s.len()) {
        return None;
    }
    let bytes = bs58::decode(s).into_vec().ok()?;
    (bytes.len() == 32).then(|| found("solana", "mainnet", "account", s.to_owned()))
}

/// The EIP-55 mixed-case checksum form of 40 lower-case hex digits.
pub fn eip55(hex_lower: &str) -> String {
    let mut k = Keccak::v256();
    let mut hash = [0u8; 32];
    k.update(hex_lower.as_bytes());
    k.finalize(&mut hash);
    hex_lower
        .chars()
        .enumerate()
        .map(|(i, c)| {
            let nibble = (hash[i / 2] >> if i % 2 == 0 { 4 } else { 0 }) & 0xf;
            if c.is_ascii_alphabetic() && nibble >= 8 {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect()
}

fn ethereum(s: &str) -> Result<Option<Parsed>, String> {
    let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) else {
        return Ok(None);
    };
    if hex.len() != 40 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let lower = hex.to_ascii_lowercase();
    let sum = eip55(&lower);
    let mixed = hex != lower && hex != hex.to_ascii_uppercase();
    if mixed && hex != sum {
        return Err("fails the EIP-55 checksum (mixed case that is not the checksum)".into());
    }
    Ok(Some(
        found("ethereum", "mainnet", "account", format!("0x{sum}")).detail("checksummed", mixed),
    ))
}

pub fn check(value: &str) -> Result<Parsed, String> {
    let v = value.trim();
    let (want, addr) = match v.split_once(':') {
        Some((c, a)) if !c.is_empty() && c.chars().all(|c| c.is_ascii_alphabetic()) => {
            (Some(c.to_ascii_lowercase()), a.trim())
        }
        _ => (None, v),
    };
    if addr.is_empty() {
        return Err("empty address".into());
    }
    let p = match ethereum(addr)? {
        Some(p) => Some(p),
        None => segwit(addr)
            .or_else(|| legacy(addr))
            .or_else(|| xrp(addr))
            .or_else(|| solana(addr)),
    };
    let p = p.ok_or(
        "not an address of a supported chain (bitcoin, ethereum, litecoin, tron, solana, xrp)",
    )?;
    if let Some(w) = want {
        let chain = p.details["chain"].as_str().unwrap_or_default();
        let evm = chain == "ethereum"
            && matches!(
                w.as_str(),
                "eth"
                    | "ethereum"
                    | "polygon"
                    | "bsc"
                    | "arbitrum"
                    | "optimism"
                    | "base"
                    | "avalanche"
            );
        let alias = match w.as_str() {
            "btc" => "bitcoin",
            "ltc" => "litecoin",
            "trx" => "tron",
            "sol" => "solana",
            "ripple" => "xrp",
            other => other,
        };
        if !(evm || alias == chain) {
            return Err(format!("the address is of the {chain} chain, not {w}"));
        }
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_chain(a: &str, chain: &str, network: &str, kind: &str) {
        let p = check(a).unwrap_or_else(|e| panic!("{a}: {e}"));
        assert_eq!(
            (
                p.details["chain"].as_str().unwrap(),
                p.details["network"].as_str().unwrap(),
                p.details["type"].as_str().unwrap()
            ),
            (chain, network, kind),
            "{a}"
        );
    }

    #[test]
    fn known_addresses() {
        check_chain(
            "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
            "bitcoin",
            "mainnet",
            "p2pkh",
        );
        check_chain(
            "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
            "bitcoin",
            "mainnet",
            "p2sh",
        );
        check_chain(
            "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn",
            "bitcoin",
            "testnet",
            "p2pkh",
        );
        check_chain(
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
            "bitcoin",
            "mainnet",
            "p2wpkh",
        );
        check_chain(
            "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
            "bitcoin",
            "mainnet",
            "p2wpkh",
        );
        check_chain(
            "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
            "bitcoin",
            "mainnet",
            "p2tr",
        );
        check_chain(
            "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx",
            "bitcoin",
            "testnet",
            "p2wpkh",
        );
        check_chain(
            "0x52908400098527886E0F7030069857D2E4169EE7",
            "ethereum",
            "mainnet",
            "account",
        );
        check_chain(
            "0xde709f2102306220921060314715629080e2fb77",
            "ethereum",
            "mainnet",
            "account",
        );
        check_chain(
            "LVg2kJoFNg45Nbpy53h7Fe1wKyeXVRhMH9",
            "litecoin",
            "mainnet",
            "p2pkh",
        );
        check_chain(
            "ltc1qg42tkwuuxefutzxezdkdel39gfstuap288mfea",
            "litecoin",
            "mainnet",
            "p2wpkh",
        );
        check_chain(
            "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7",
            "tron",
            "mainnet",
            "account",
        );
        check_chain(
            "rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh",
            "xrp",
            "mainnet",
            "account",
        );
        check_chain(
            "7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV",
            "solana",
            "mainnet",
            "account",
        );
    }

    #[test]
    fn broken_addresses() {
        for a in [
            "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3",
            "0x52908400098527886E0F7030069857D2E4169Ee7",
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdr",
            "bc1Qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
            "bitcoin:0x52908400098527886E0F7030069857D2E4169EE7",
            "",
            "hello",
        ] {
            assert!(check(a).is_err(), "{a}");
        }
        // bech32 (not bech32m) checksum on a v1 program is refused (BIP 350).
        assert!(
            check("bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7k7grplx")
                .is_err()
        );
    }

    #[test]
    fn eip55_vectors() {
        for a in [
            "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "fB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
            "dbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
            "D1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
        ] {
            assert_eq!(eip55(&a.to_ascii_lowercase()), a);
        }
    }
}
