//! Who the client is: the socket's peer address, or, when that peer is a reverse proxy the
//! operator trusts (`--trusted-proxy CIDR`), the address the proxy put in `X-Forwarded-For`.
//!
//! A forwarded header from any other peer is ignored: a client could write anything into it. From
//! a trusted peer, the header is read from the right (each proxy appends the address it got the
//! request from) and the first address that is not itself a trusted proxy is the client; what is
//! left of it was written by the client and is not believed.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use axum::http::HeaderMap;

/// The forwarded-for header (a de-facto standard).
pub(crate) const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// An address block such as `10.0.0.0/8`, `2001:db8::/32`, or one address (`192.0.2.1`, as
/// `/32` or `/128`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an address block like 10.0.0.0/8, 192.0.2.1 or 2001:db8::/32")]
pub struct CidrError(pub String);

impl FromStr for Cidr {
    type Err = CidrError;

    fn from_str(text: &str) -> Result<Cidr, CidrError> {
        let error = || CidrError(text.to_owned());
        let trimmed = text.trim();
        let (address, prefix) = match trimmed.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (trimmed, None),
        };
        let address: IpAddr = address.parse().map_err(|_| error())?;
        let max = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse::<u8>().map_err(|_| error())?
            }
            Some(_) => return Err(error()),
        };
        if prefix > max {
            return Err(error());
        }
        Ok(Cidr {
            network: mask(address, prefix),
            prefix,
        })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

fn mask(address: IpAddr, prefix: u8) -> IpAddr {
    match address {
        IpAddr::V4(v4) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4((u32::from(v4) & mask).into())
        }
        IpAddr::V6(v6) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6((u128::from(v6) & mask).into())
        }
    }
}

/// An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, as a dual-stack socket reports IPv4
/// peers) as the IPv4 address it is.
pub(crate) fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    }
}

impl Cidr {
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        address.is_ipv4() == self.network.is_ipv4() && mask(address, self.prefix) == self.network
    }
}

/// The reverse proxies whose `X-Forwarded-For` is believed (none by default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Cidr>);

impl TrustedProxies {
    pub fn new(blocks: Vec<Cidr>) -> TrustedProxies {
        TrustedProxies(blocks)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn blocks(&self) -> &[Cidr] {
        &self.0
    }

    pub fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|block| block.contains(address))
    }

    /// The client's address for a request from socket peer `peer` (see the module docs).
    pub fn client_address(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        // Several header lines count as one list, in order.
        let hops: Vec<&str> = headers
            .get_all(X_FORWARDED_FOR)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            match parse_hop(hop) {
                Some(address) => {
                    client = address;
                    if !self.trusts(address) {
                        break;
                    }
                }
                // Garbage: the hop that wrote it is the last address we can vouch for.
                None => break,
            }
        }
        client
    }
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`192.0.2.1:1234`,
/// `[2001:db8::1]:1234`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(address) = hop.parse::<IpAddr>() {
        return Some(canonical(address));
    }
    hop.parse::<std::net::SocketAddr>()
        .ok()
        .map(|socket| canonical(socket.ip()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(blocks: &[&str]) -> TrustedProxies {
        TrustedProxies::new(blocks.iter().map(|b| b.parse().unwrap()).collect())
    }

    #[test]
    fn blocks_parse_and_contain() {
        #[rustfmt::skip]
        let table: &[(&str, &str, bool)] = &[
            ("10.0.0.0/8",      "10.200.3.4",        true),
            ("10.0.0.0/8",      "11.0.0.1",          false),
            ("10.1.2.3/8",      "10.9.9.9",          true),
            ("192.0.2.1",       "192.0.2.1",         true),
            ("192.0.2.1",       "192.0.2.2",         false),
            ("192.0.2.1",       "::ffff:192.0.2.1",  true),
            ("2001:db8::/32",   "2001:db8:ffff::1",  true),
            ("2001:db8::/32",   "2001:db9::1",       false),
            ("0.0.0.0/0",       "203.0.113.1",       true),
            ("0.0.0.0/0",       "2001:db8::1",       false),
            ("::/0",            "2001:db8::1",       true),
        ];
        for (block, address, inside) in table {
            let cidr: Cidr = block.parse().unwrap();
            assert_eq!(
                cidr.contains(address.parse().unwrap()),
                *inside,
                "{block} {address}"
            );
        }
        for bad in [
            "",
            "10.0.0.0/33",
            "2001:db8::/129",
            "10.0.0/8",
            "10.0.0.0/",
            "x/8",
            "10.0.0.0/+8",
        ] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad:?}");
        }
        assert_eq!(
            "10.1.2.3/8".parse::<Cidr>().unwrap().to_string(),
            "10.0.0.0/8"
        );
    }

    #[test]
    fn forwarded_for_is_read_only_from_trusted_peers() {
        let trusted = proxies(&["127.0.0.1", "10.0.0.0/8"]);
        #[rustfmt::skip]
        let table: &[(&TrustedProxies, &str, &[&str], &str)] = &[
            // No trusted proxies: the header is ignored.
            (&TrustedProxies::default(), "127.0.0.1", &["203.0.113.9"],               "127.0.0.1"),
            // An untrusted peer: ignored.
            (&trusted, "198.51.100.1", &["203.0.113.9"],                              "198.51.100.1"),
            // A trusted peer: the right-most address that is not a trusted proxy.
            (&trusted, "127.0.0.1",    &["203.0.113.9"],                              "203.0.113.9"),
            (&trusted, "127.0.0.1",    &["6.6.6.6, 203.0.113.9, 10.1.1.1"],           "203.0.113.9"),
            (&trusted, "127.0.0.1",    &["6.6.6.6", "203.0.113.9"],                   "203.0.113.9"),
            (&trusted, "127.0.0.1",    &["2001:db8::7"],                              "2001:db8::7"),
            (&trusted, "127.0.0.1",    &["[2001:db8::7]:4711"],                       "2001:db8::7"),
            (&trusted, "127.0.0.1",    &["203.0.113.9:4711"],                         "203.0.113.9"),
            // Only trusted hops: the left-most.
            (&trusted, "127.0.0.1",    &["10.0.0.5, 10.0.0.6"],                       "10.0.0.5"),
            // No header, or garbage at the right: the last address vouched for.
            (&trusted, "127.0.0.1",    &[],                                           "127.0.0.1"),
            (&trusted, "127.0.0.1",    &["203.0.113.9, nonsense"],                    "127.0.0.1"),
            (&trusted, "127.0.0.1",    &["nonsense, 10.0.0.5"],                       "10.0.0.5"),
            (&trusted, "::ffff:127.0.0.1", &["203.0.113.9"],                          "203.0.113.9"),
        ];
        for (proxies, peer, header, want) in table {
            let mut headers = HeaderMap::new();
            for value in header.iter() {
                headers.append(X_FORWARDED_FOR, value.parse().unwrap());
            }
            assert_eq!(
                proxies.client_address(peer.parse().unwrap(), &headers),
                want.parse::<IpAddr>().unwrap(),
                "{peer} {header:?}"
            );
        }
    }
}
