//! Token bindings: each stored token hash is bound to its token id by an HMAC under a key derived
//! from the node key. `token_secrets` is local (not in the signed log), so without the binding
//! anyone able to write the database could replace a hash and log in as that token's user; with
//! it, a replaced hash is refused at login and reported by `verify`, unless the attacker also
//! holds the node key (which signs the log too).

use hl_events::NodeKey;
use hl_store::Store;

use crate::NodeError;

/// Purpose label of the derived key.
const BINDING_PURPOSE: &str = "token-binding/v1";

/// The key that binds token hashes.
#[derive(Clone)]
pub struct BindingKey([u8; 32]);

impl std::fmt::Debug for BindingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BindingKey(..)")
    }
}

impl BindingKey {
    pub fn derive(key: &NodeKey) -> Self {
        Self(key.derive(BINDING_PURPOSE))
    }

    /// The binding of `secret_hash` to token `token` (hex).
    pub fn bind(&self, token: &str, secret_hash: &str) -> String {
        let message = format!("harborlink/token-secret/v1\n{token}\n{secret_hash}");
        hex::encode(hl_events::hmac_sha256(&self.0, message.as_bytes()))
    }

    /// Whether `binding` is the binding of `secret_hash` to `token` (compared in constant time).
    pub fn holds(&self, token: &str, secret_hash: &str, binding: &str) -> bool {
        let expected = self.bind(token, secret_hash);
        expected.len() == binding.len()
            && expected.bytes().zip(binding.bytes()).fold(0u8, |diff, (a, b)| diff | (a ^ b)) == 0
    }
}

/// A stored token secret that does not hold: what `verify` reports.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("token {token}: {reason}")]
pub struct TamperedToken {
    pub token: String,
    pub reason: &'static str,
}

/// Checks every stored token secret: bound by this node's key, and issued by an event of the
/// log (the tokens projection is rebuilt from the log). Rows from before bindings are reported
/// as unbound until the node next starts.
pub async fn verify_token_secrets(store: &dyn Store, key: &BindingKey) -> Result<Vec<TamperedToken>, NodeError> {
    let mut found = Vec::new();
    for (token, secret_hash, binding) in store.token_secrets().await? {
        let reason = match binding {
            None => Some("its hash is not bound (refused at login; `harborlink token bind-legacy` after an upgrade)"),
            Some(binding) if !key.holds(&token, &secret_hash, &binding) => {
                Some("its stored hash does not match its binding (edited by hand?)")
            }
            Some(_) => match token.parse() {
                Ok(id) if store.token(id).await?.is_some() => None,
                _ => Some("no event of the log issued it"),
            },
        };
        if let Some(reason) = reason {
            found.push(TamperedToken { token, reason });
        }
    }
    Ok(found)
}

/// Binds the stored hashes that predate bindings (trusting them as they are at this start).
pub async fn bind_legacy_token_secrets(store: &dyn Store, key: &BindingKey) -> Result<usize, NodeError> {
    let mut bound = 0;
    for (token, secret_hash, binding) in store.token_secrets().await? {
        if binding.is_none() {
            store.bind_token_secret(&token, &key.bind(&token, &secret_hash)).await?;
            bound += 1;
        }
    }
    Ok(bound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_binding_holds_only_for_its_token_and_hash() {
        let key = BindingKey::derive(&NodeKey::generate());
        let binding = key.bind("t1", "aa");
        assert!(key.holds("t1", "aa", &binding));
        assert!(!key.holds("t1", "ab", &binding));
        assert!(!key.holds("t2", "aa", &binding));
        assert!(!BindingKey::derive(&NodeKey::generate()).holds("t1", "aa", &binding), "another node's key");
    }
}
