//! The node's Ed25519 key pair.

use std::fmt;

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use rand::RngCore;

/// Why a key could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    #[error("a key must be 64 hexadecimal digits")]
    BadEncoding,
    #[error("the public key is not a valid Ed25519 point")]
    BadPublicKey,
}

/// A node's signing key. Its `Debug` never shows the secret.
pub struct NodeKey(SigningKey);

impl NodeKey {
    /// A new key from the operating system's random source.
    pub fn generate() -> Self {
        let mut seed = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut seed);
        Self(SigningKey::from_bytes(&seed))
    }

    /// Reads a key saved by [`NodeKey::to_hex`].
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        let bytes = hex::decode(text.trim()).map_err(|_| KeyError::BadEncoding)?;
        let seed: [u8; 32] = bytes.try_into().map_err(|_| KeyError::BadEncoding)?;
        Ok(Self(SigningKey::from_bytes(&seed)))
    }

    /// The secret seed as hex, for the key file only.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0.to_bytes())
    }

    /// A 32-byte key for `purpose`, derived one way from the secret seed (SHA-256 of a purpose
    /// label and the seed): local MACs use it, never the signing key itself.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        hasher.update(b"harborlink/derive/v1\n");
        hasher.update(purpose.as_bytes());
        hasher.update(b"\n");
        hasher.update(self.0.to_bytes());
        hasher.finalize().into()
    }

    /// The public half.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    pub(crate) fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
    }
}

impl fmt::Debug for NodeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodeKey(public {})", self.public())
    }
}

/// A node's public key, used to check its events.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// Reads a key from 64 hexadecimal digits.
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        let bytes = hex::decode(text.trim()).map_err(|_| KeyError::BadEncoding)?;
        let raw: [u8; 32] = bytes.try_into().map_err(|_| KeyError::BadEncoding)?;
        VerifyingKey::from_bytes(&raw).map(Self).map_err(|_| KeyError::BadPublicKey)
    }

    /// Whether `signature` is this key's strict Ed25519 signature of `message`.
    pub fn verifies(&self, message: &[u8], signature: &[u8; 64]) -> bool {
        let signature = ed25519_dalek::Signature::from_bytes(signature);
        self.0.verify_strict(message, &signature).is_ok()
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0.to_bytes()))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}
