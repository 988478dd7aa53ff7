//! The checkout window as a plain HTML page: Pay and Decline buttons that
//! redirect to the app like the provider does. No scripts.

/// Text safe inside HTML and attribute values.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

pub fn checkout(order_id: &str, amount: i64, success_url: &str, fail_url: &str) -> String {
    let hidden = |name: &str, value: &str| {
        format!(
            r#"<input type="hidden" name="{name}" value="{}">"#,
            escape(value)
        )
    };
    let fields = [
        hidden("orderId", order_id),
        hidden("amount", &amount.to_string()),
        hidden("successUrl", success_url),
        hidden("failUrl", fail_url),
    ]
    .join("");
    format!(
        r#"<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><title>결제 (sandbox)</title></head>
<body>
<h1>Toss Payments sandbox</h1>
<p>주문 {order}: {amount}원</p>
<form method="post" action="/sandbox/toss/checkout/pay">{fields}
<button type="submit" name="outcome" value="pay">Pay</button>
<button type="submit" name="outcome" value="decline">Decline</button>
</form>
</body></html>
"#,
        order = escape(order_id),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn values_are_escaped() {
        let page = super::checkout("o\"><script>", 5, "http://a/?x=1&y=2", "http://a/f");
        assert!(!page.contains("<script>"));
        assert!(page.contains("x=1&amp;y=2"));
    }
}
