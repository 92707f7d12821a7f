//! Over TLS the client offers HTTP/2 (ALPN `h2`), so a deployment that speaks it serves every
//! concurrent request on one connection and one handshake.
#![cfg(feature = "tls")]

use crate::common;

use std::sync::Arc;

use coder_external_auth::ClientBuilder;
use common::hostile::Pki;

#[tokio::test]
async fn the_client_offers_http2_to_a_tls_deployment() {
    let pki = Pki::new();
    let mut config = (*pki.server).clone();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!(
        "https://127.0.0.1:{}",
        listener.local_addr().unwrap().port()
    );
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let tls = acceptor.accept(tcp).await.unwrap();
        // What the handshake agreed on; the connection is dropped without an answer.
        tls.get_ref().1.alpn_protocol().map(<[u8]>::to_vec)
    });
    let client = ClientBuilder::new(&base)
        .add_root_certificates_pem(pki.ca_pem.as_bytes())
        .unwrap()
        .build()
        .unwrap();
    let _ = client.get_user_external_auths().await;
    let negotiated = server.await.unwrap();
    assert_eq!(negotiated.as_deref(), Some(&b"h2"[..]));
}
