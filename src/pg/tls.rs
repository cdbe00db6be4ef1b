//! TLS for the source reader ([`super::reader`]) with sqlx's meaning of each `sslmode`:
//! `prefer` and `require` encrypt without checking the certificate, `verify-ca` checks its
//! chain, `verify-full` its chain and host name; the roots are `sslrootcert`'s, else the
//! public ones sqlx uses (webpki's).

use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore};
use sqlx::postgres::PgSslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

/// A PEM document, in a file or inline, as sqlx takes `sslrootcert`, `sslcert` and `sslkey`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pem {
    File(PathBuf),
    Inline(Vec<u8>),
}

impl Pem {
    /// A certificate input as sqlx renders it in its URL: `file: <path>` or the PEM itself.
    pub fn from_sqlx(rendered: String) -> Pem {
        match rendered.strip_prefix("file: ") {
            Some(path) => Pem::File(PathBuf::from(path)),
            None => Pem::Inline(rendered.into_bytes()),
        }
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        match self {
            Pem::File(path) => {
                std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
            }
            Pem::Inline(pem) => Ok(pem.clone()),
        }
    }

    fn describe(&self) -> String {
        match self {
            Pem::File(path) => path.display().to_string(),
            Pem::Inline(_) => "the inline PEM".into(),
        }
    }

    fn certificates(&self) -> Result<Vec<CertificateDer<'static>>, String> {
        let certificates = CertificateDer::pem_slice_iter(&self.bytes()?)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("{} is not PEM certificates: {e}", self.describe()))?;
        if certificates.is_empty() {
            return Err(format!("{} holds no certificate", self.describe()));
        }
        Ok(certificates)
    }

    fn private_key(&self) -> Result<PrivateKeyDer<'static>, String> {
        PrivateKeyDer::from_pem_slice(&self.bytes()?)
            .map_err(|e| format!("{} is not a PEM private key: {e}", self.describe()))
    }
}

/// The certificates a URL names.
#[derive(Debug, Default)]
pub struct Certificates {
    pub root: Option<Pem>,
    pub client: Option<Pem>,
    pub key: Option<Pem>,
}

/// The TLS connector for `mode` with these certificates.
pub fn connector(
    mode: PgSslMode,
    certificates: &Certificates,
) -> Result<MakeRustlsConnect, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain = match mode {
        PgSslMode::VerifyFull | PgSslMode::VerifyCa => {
            Some(chain_verifier(certificates.root.as_ref(), &provider)?)
        }
        _ => None,
    };
    let verifier = Arc::new(ModeVerifier {
        chain,
        check_name: matches!(mode, PgSslMode::VerifyFull),
        provider: provider.clone(),
    });
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let config = match (&certificates.client, &certificates.key) {
        (Some(client), Some(key)) => builder
            .with_client_auth_cert(client.certificates()?, key.private_key()?)
            .map_err(|e| format!("the client certificate and key do not match: {e}"))?,
        (None, None) => builder.with_no_client_auth(),
        _ => return Err("sslcert and sslkey go together; give both or neither".into()),
    };
    Ok(MakeRustlsConnect::new(config))
}

/// Checks the chain against `root` (else the public roots) and the host name.
fn chain_verifier(
    root: Option<&Pem>,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<WebPkiServerVerifier>, String> {
    let mut roots = RootCertStore::empty();
    match root {
        Some(pem) => {
            for certificate in pem.certificates()? {
                roots
                    .add(certificate)
                    .map_err(|e| format!("{}: {e}", pem.describe()))?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| e.to_string())
}

/// The certificate check of one `sslmode`: none (`prefer`, `require`: encryption without a
/// check of who answers, as libpq and sqlx do), the chain (`verify-ca`: the name on the
/// certificate need not match the host), or the chain and the name (`verify-full`). The
/// handshake's signatures are always checked.
#[derive(Debug)]
struct ModeVerifier {
    chain: Option<Arc<WebPkiServerVerifier>>,
    check_name: bool,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for ModeVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        let verified =
            chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now);
        match verified {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.check_name => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        verify_tls12_signature(message, cert, dss, algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        verify_tls13_signature(message, cert, dss, algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
