//! The script the sign-in window's web view runs in every page before the page's own: it
//! wraps form submission (`submit`, `requestSubmit`, the `submit` event) so that a form
//! posting to an AWS SAML endpoint hands its `SAMLResponse` to credtray through the web
//! view's IPC channel (`window.ipc`) and is never sent. Pure text: the helper process
//! (`src/signin/`) gives it to the web view.

use super::AWS_SAML_ENDPOINTS;

/// The initialization script: wraps form submission so that a form posting to an AWS SAML
/// endpoint hands its SAMLResponse over through `window.ipc` and is never sent.
pub fn capture_script() -> String {
    let endpoints = serde_json::to_string(&AWS_SAML_ENDPOINTS).unwrap_or_else(|_| "[]".into());
    format!(
        r#"(function () {{
  var endpoints = {endpoints};
  var proto = HTMLFormElement.prototype;
  var actionOf = Object.getOwnPropertyDescriptor(proto, "action").get;
  var elementsOf = Object.getOwnPropertyDescriptor(proto, "elements").get;
  var realSubmit = proto.submit;
  var realRequestSubmit = proto.requestSubmit;
  function isAws(action) {{
    try {{
      var u = new URL(action, document.baseURI);
      var base = (u.protocol + "//" + u.host + u.pathname).replace(/\/$/, "").toLowerCase();
      return endpoints.indexOf(base) >= 0;
    }} catch (e) {{ return false; }}
  }}
  function capture(form) {{
    if (!(form instanceof HTMLFormElement) || !isAws(actionOf.call(form))) return false;
    var field = elementsOf.call(form).namedItem("SAMLResponse");
    var value = field && field.value;
    window.ipc.postMessage(JSON.stringify({{ samlResponse: value || "" }}));
    return true;
  }}
  proto.submit = function () {{
    if (capture(this)) return;
    return realSubmit.call(this);
  }};
  if (realRequestSubmit) {{
    proto.requestSubmit = function (submitter) {{
      if (capture(this)) return;
      return submitter === undefined ? realRequestSubmit.call(this) : realRequestSubmit.call(this, submitter);
    }};
  }}
  window.addEventListener("submit", function (e) {{
    if (capture(e.target)) {{ e.preventDefault(); e.stopImmediatePropagation(); }}
  }}, true);
}})();"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_names_every_aws_endpoint_and_posts_through_ipc() {
        let s = capture_script();
        for e in AWS_SAML_ENDPOINTS {
            assert!(s.contains(e), "{e}");
        }
        assert!(s.contains("window.ipc.postMessage"));
        assert!(s.contains("SAMLResponse"));
    }
}
