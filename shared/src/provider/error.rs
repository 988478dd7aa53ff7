//! What a provider call can fail with.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The provider's answer about the payment itself (a card declined,
    /// an amount not cancelable): it took no effect.
    #[error("refused: {code}: {message}")]
    Refused { code: String, message: String },
    /// Unreachable, timed out, 5xx, throttled or our key refused: the
    /// outcome is unknown until the provider is asked again.
    #[error("provider unavailable: {0}")]
    Unavailable(String),
}
