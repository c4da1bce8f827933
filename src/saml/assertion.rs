//! Reading a captured SAMLResponse: the role/provider pairs of its
//! `https://aws.amazon.com/SAML/Attributes/Role` attribute, and choosing the session's pair.
//! Pure; the assertion itself never appears in an error.

use base64::Engine as _;

/// The attribute that lists the roles an assertion grants.
pub const ROLE_ATTRIBUTE: &str = "https://aws.amazon.com/SAML/Attributes/Role";

/// A captured SAMLResponse (base64, as posted). A credential: its `Debug` is redacted and
/// it is never written, logged or shown.
#[derive(Clone, PartialEq, Eq)]
pub struct Assertion(String);

impl Assertion {
    /// Wraps a SAMLResponse value.
    pub fn new(base64: String) -> Assertion {
        Assertion(base64.split_whitespace().collect())
    }

    /// The base64 text, for AssumeRoleWithSAML's SAMLAssertion.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Assertion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Assertion(<{} bytes, redacted>)", self.0.len())
    }
}

/// A role the assertion offers and the IdP that vouches for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolePair {
    /// `arn:aws:iam::ACCOUNT:role/NAME`
    pub role_arn: String,
    /// `arn:aws:iam::ACCOUNT:saml-provider/NAME`
    pub provider_arn: String,
}

impl std::fmt::Display for RolePair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (provider {})", self.role_arn, self.provider_arn)
    }
}

/// The role/provider pairs of a base64 SAMLResponse, in document order. An error says
/// what is wrong without quoting the assertion.
pub fn role_pairs(assertion: &Assertion) -> Result<Vec<RolePair>, String> {
    let xml = base64::engine::general_purpose::STANDARD
        .decode(assertion.expose())
        .map_err(|_| "it is not base64".to_string())?;
    let xml = String::from_utf8(xml).map_err(|_| "it is not UTF-8 XML".to_string())?;
    let mut pairs = Vec::new();
    let mut rest = xml.as_str();
    while let Some((attr, after)) = next_element(rest, "Attribute") {
        rest = after;
        if attr_value(attr.tag, "Name").as_deref() != Some(ROLE_ATTRIBUTE) {
            continue;
        }
        let mut body = attr.body;
        while let Some((value, after)) = next_element(body, "AttributeValue") {
            body = after;
            if let Some(pair) = parse_pair(&decode_entities(value.body)) {
                pairs.push(pair);
            }
        }
    }
    Ok(pairs)
}

/// Picks the pair whose role and provider are the session's.
pub fn choose<'a>(pairs: &'a [RolePair], role_arn: &str, idp_arn: &str) -> Option<&'a RolePair> {
    pairs
        .iter()
        .find(|p| p.role_arn == role_arn && p.provider_arn == idp_arn)
}

/// "role-arn,provider-arn" in either order.
fn parse_pair(value: &str) -> Option<RolePair> {
    let (a, b) = value.trim().split_once(',')?;
    let (a, b) = (a.trim(), b.trim());
    let is_role = |s: &str| s.contains(":role/");
    let is_idp = |s: &str| s.contains(":saml-provider/");
    if is_role(a) && is_idp(b) {
        Some(RolePair {
            role_arn: a.into(),
            provider_arn: b.into(),
        })
    } else if is_idp(a) && is_role(b) {
        Some(RolePair {
            role_arn: b.into(),
            provider_arn: a.into(),
        })
    } else {
        None
    }
}

/// One element found by local name: its start tag's text and its content.
struct Element<'a> {
    tag: &'a str,
    body: &'a str,
}

/// The next element named `local` (any namespace prefix) in `xml`, and the text after it.
fn next_element<'a>(xml: &'a str, local: &str) -> Option<(Element<'a>, &'a str)> {
    let mut from = 0;
    loop {
        let lt = from + xml[from..].find('<')?;
        let after = &xml[lt + 1..];
        let name_len = after
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .unwrap_or(after.len());
        let name = &after[..name_len];
        let local_name = name.rsplit(':').next().unwrap_or(name);
        if local_name != local || name.starts_with('/') {
            from = lt + 1;
            continue;
        }
        let gt = lt + 1 + after.find('>')?;
        let tag = &xml[lt..=gt];
        if tag.ends_with("/>") {
            return Some((Element { tag, body: "" }, &xml[gt + 1..]));
        }
        let close = format!("</{name}>");
        let end = gt + 1 + xml[gt + 1..].find(&close)?;
        return Some((
            Element {
                tag,
                body: &xml[gt + 1..end],
            },
            &xml[end + close.len()..],
        ));
    }
}

/// The value of attribute `name` in a start tag.
fn attr_value(tag: &str, name: &str) -> Option<String> {
    let mut rest = tag;
    while let Some(i) = rest.find(name) {
        let before_ok = rest[..i]
            .chars()
            .next_back()
            .is_some_and(char::is_whitespace);
        let after = rest[i + name.len()..].trim_start();
        if before_ok {
            if let Some(after) = after.strip_prefix('=') {
                let after = after.trim_start();
                let quote = after.chars().next()?;
                if quote == '"' || quote == '\'' {
                    let v = &after[1..];
                    let end = v.find(quote)?;
                    return Some(decode_entities(&v[..end]));
                }
            }
        }
        rest = &rest[i + name.len()..];
    }
    None
}

fn decode_entities(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(xml: &str) -> Assertion {
        Assertion::new(base64::engine::general_purpose::STANDARD.encode(xml))
    }

    const XML: &str = r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion"><saml2:AttributeStatement>
<saml2:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml2:AttributeValue>alice@example.com</saml2:AttributeValue></saml2:Attribute>
<saml2:Attribute FriendlyName="Role" Name="https://aws.amazon.com/SAML/Attributes/Role" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri">
<saml2:AttributeValue xsi:type="xs:string">arn:aws:iam::123456789012:role/Fed,arn:aws:iam::123456789012:saml-provider/TestIdP</saml2:AttributeValue>
<saml2:AttributeValue>arn:aws:iam::210987654321:saml-provider/Okta, arn:aws:iam::210987654321:role/Admin</saml2:AttributeValue>
<saml2:AttributeValue>nonsense</saml2:AttributeValue>
</saml2:Attribute></saml2:AttributeStatement></saml2:Assertion></samlp:Response>"#;

    #[test]
    fn pairs_are_read_in_either_order_with_any_prefix() {
        let pairs = role_pairs(&b64(XML)).unwrap();
        assert_eq!(
            pairs,
            vec![
                RolePair {
                    role_arn: "arn:aws:iam::123456789012:role/Fed".into(),
                    provider_arn: "arn:aws:iam::123456789012:saml-provider/TestIdP".into()
                },
                RolePair {
                    role_arn: "arn:aws:iam::210987654321:role/Admin".into(),
                    provider_arn: "arn:aws:iam::210987654321:saml-provider/Okta".into()
                },
            ]
        );
        let plain = XML.replace("saml2:", "");
        assert_eq!(role_pairs(&b64(&plain)).unwrap().len(), 2);
        assert!(choose(
            &pairs,
            "arn:aws:iam::210987654321:role/Admin",
            "arn:aws:iam::210987654321:saml-provider/Okta"
        )
        .is_some());
        assert!(choose(
            &pairs,
            "arn:aws:iam::210987654321:role/Admin",
            "arn:aws:iam::123456789012:saml-provider/TestIdP"
        )
        .is_none());
    }

    #[test]
    fn garbage_is_refused_without_quoting_it() {
        let e = role_pairs(&Assertion::new("!!!secret!!!".into())).unwrap_err();
        assert!(!e.contains("secret"), "{e}");
        assert_eq!(role_pairs(&b64("<x/>")).unwrap(), vec![]);
        let a = Assertion::new("c2VjcmV0".into());
        assert!(!format!("{a:?}").contains("c2VjcmV0"));
    }
}
