#[allow(unused_imports)]
pub use progenitor_client::{ByteStream, ClientInfo, Error, ResponseValue};
#[allow(unused_imports)]
use progenitor_client::{encode_path, ClientHooks, OperationInfo, RequestBuilderExt};
/// Types used as operation parameters and responses.
#[allow(clippy::all)]
pub mod types {
    ///The 200 body of DELETE (codersdk/externalauth.go L76-80; since v2.27.0).
    #[derive(
        ::serde::Deserialize,
        ::serde::Serialize,
        Clone,
        Debug,
        PartialEq,
    )]
    #[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
    pub struct DeleteExternalAuthByIdResponse {
        ///Present only when revocation failed.
        #[serde(skip_serializing_if = "::std::option::Option::is_none")]
        pub token_revocation_error: ::std::option::Option<::std::string::String>,
        ///True only if revocation was attempted and the provider confirmed it.
        pub token_revoked: bool,
    }
    ///The 200 body of DELETE before v2.27.0: the JSON string "OK" (v2.26.0 coderd/externalauth.go L91-113).
    #[derive(
        ::serde::Deserialize,
        ::serde::Serialize,
        Clone,
        Copy,
        Debug,
        Eq,
        Hash,
        Ord,
        PartialEq,
        PartialOrd,
    )]
    #[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
    pub enum DeleteExternalAuthOk {
        #[serde(rename = "OK")]
        Ok,
    }
    impl ::std::fmt::Display for DeleteExternalAuthOk {
        fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
            match *self {
                Self::Ok => f.write_str("OK"),
            }
        }
    }
    impl ::std::str::FromStr for DeleteExternalAuthOk {
        type Err = self::error::ConversionError;
        fn from_str(
            value: &str,
        ) -> ::std::result::Result<Self, self::error::ConversionError> {
            match value {
                "OK" => Ok(Self::Ok),
                _ => Err("invalid value".into()),
            }
        }
    }
    impl ::std::convert::TryFrom<&str> for DeleteExternalAuthOk {
        type Error = self::error::ConversionError;
        fn try_from(
            value: &str,
        ) -> ::std::result::Result<Self, self::error::ConversionError> {
            value.parse()
        }
    }
    impl ::std::convert::TryFrom<::std::string::String> for DeleteExternalAuthOk {
        type Error = self::error::ConversionError;
        fn try_from(
            value: ::std::string::String,
        ) -> ::std::result::Result<Self, self::error::ConversionError> {
            value.parse()
        }
    }
    ///What a successful DELETE answers: `DeleteExternalAuthByIDResponse` from v2.27.0 on, the string "OK" before.
    #[derive(
        ::serde::Deserialize,
        ::serde::Serialize,
        Clone,
        Debug,
        PartialEq,
    )]
    #[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
    #[serde(untagged)]
    pub enum DeleteExternalAuthResult {
        ByIdResponse(DeleteExternalAuthByIdResponse),
        Ok(DeleteExternalAuthOk),
    }
    impl ::std::convert::From<DeleteExternalAuthByIdResponse>
    for DeleteExternalAuthResult {
        fn from(value: DeleteExternalAuthByIdResponse) -> Self {
            Self::ByIdResponse(value)
        }
    }
    impl ::std::convert::From<DeleteExternalAuthOk> for DeleteExternalAuthResult {
        fn from(value: DeleteExternalAuthOk) -> Self {
            Self::Ok(value)
        }
    }
    ///The caller's status for one provider (codersdk/externalauth.go L51-65).
    #[derive(
        ::serde::Deserialize,
        ::serde::Serialize,
        Clone,
        Debug,
        PartialEq,
    )]
    #[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
    pub struct ExternalAuth {
        pub app_install_url: ::std::string::String,
        pub app_installable: bool,
        pub authenticated: bool,
        pub device: bool,
        pub display_name: ::std::string::String,
        ///Never null here: `[]` when there are none.
        pub installations: ::std::vec::Vec<ExternalAuthAppInstallation>,
        ///Never set by the handler: always false. Sent by every release from v2.27.0 on, never before (coder 439b041780, #19775).
        #[serde(skip_serializing_if = "::std::option::Option::is_none")]
        pub supports_revocation: ::std::option::Option<bool>,
        ///Null unless the provider type is `github`, a link exists and its token validated with a decodable user.
        #[serde(deserialize_with = "::std::option::Option::deserialize")]
        pub user: ::std::option::Option<ExternalAuthUser>,
    }
    ///A GitHub app installation (codersdk/externalauth.go L108-112).
    #[derive(
        ::serde::Deserialize,
        ::serde::Serialize,
        Clone,
        Debug,
        PartialEq,
    )]
    #[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
    pub struct ExternalAuthAppInstallation {
        pub account: ExternalAuthUser,
        pub configure_url: ::std::string::String,
        pub id: i64,
    }
    ///RFC 8628 device authorization, passed through from the provider (codersdk/externalauth.go L122-130).
    #[derive(
        ::serde::Deserialize,
        ::serde::Serialize,
        Clone,
        Debug,
        PartialEq,
    )]
    #[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
    pub struct ExternalAuthDevice {
        pub device_code: ::std::string::String,
        ///Seconds; 0 when the provider omitted it.
        pub expires_in: i64,
        ///Seconds between polls; 0 when the provider omitted it (clients then use 5).
        pub interval: i64,
        pub user_code: ::std::string::String,
        pub verification_uri: ::std::string::String,
    }
    ///The POST device body (codersdk/externalauth.go L132-134).
    #[derive(
        ::serde::Deserialize,
        ::serde::Serialize,
        Clone,
        Debug,
        PartialEq,
    )]
    #[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
    pub struct ExternalAuthDeviceExchange {
        ///The server does not enforce presence; a missing code is forwarded to the provider as empty and refused there.
        pub device_code: ::std::string::String,
    }
    ///One of the caller's links (codersdk/externalauth.go L82-93).
    #[derive(
        ::serde::Deserialize,
        ::serde::Serialize,
        Clone,
        Debug,
        PartialEq,
    )]
    #[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
    pub struct ExternalAuthLink {
        ///Result of the refresh and validation the list performs.
        pub authenticated: bool,
        pub created_at: ::chrono::DateTime<::chrono::offset::Utc>,
        ///`0001-01-01T00:00:00Z` (the Go zero time) when the token never expires.
        pub expires: ::chrono::DateTime<::chrono::offset::Utc>,
        pub has_refresh_token: bool,
        ///May name a provider that is no longer configured.
        pub provider_id: ::std::string::String,
        pub updated_at: ::chrono::DateTime<::chrono::offset::Utc>,
        ///"" when the token validated or was not checked.
        pub validate_error: ::std::string::String,
    }
    ///A configured provider as the list reports it (codersdk/externalauth.go L95-106).
    #[derive(
        ::serde::Deserialize,
        ::serde::Serialize,
        Clone,
        Debug,
        PartialEq,
    )]
    #[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
    pub struct ExternalAuthLinkProvider {
        pub allow_refresh: bool,
        pub allow_validate: bool,
        ///PKCE methods; never null. `[""]` (one empty string) for providers without PKCE such as azure-devops (coderd/promoauth/oauth2.go L14-19). Sent by every release from v2.30.0 on, never before (coder 8fefd91e4a, #21215).
        #[serde(default, skip_serializing_if = "::std::vec::Vec::is_empty")]
        pub code_challenge_methods_supported: ::std::vec::Vec<::std::string::String>,
        pub device: bool,
        pub display_icon: ::std::string::String,
        pub display_name: ::std::string::String,
        pub id: ::std::string::String,
        ///True when the provider has a revoke URL; the reliable place to read revocation support. Sent by every release from v2.27.0 on, never before (coder 439b041780, #19775).
        #[serde(skip_serializing_if = "::std::option::Option::is_none")]
        pub supports_revocation: ::std::option::Option<bool>,
        ///The configured type, e.g. `github`, `gitlab`, `azure-devops`, or any custom string.
        #[serde(rename = "type")]
        pub type_: ::std::string::String,
    }
    ///The 200 body of the agent route, `agentsdk.ExternalAuthResponse` (codersdk/agentsdk/agentsdk.go L722-732; no omitempty). Unlinked form: every string `""` except `url`, and `token_extra` null. Linked form: `url` `""`. `access_token`, `password`, `username` (for most types) and `token_extra` carry secrets.
    #[derive(
        ::serde::Deserialize,
        ::serde::Serialize,
        Clone,
        Debug,
        PartialEq,
    )]
    #[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
    pub struct ExternalAuthResponse {
        ///The owner's OAuth access token; `""` in the unlinked form.
        pub access_token: ::std::string::String,
        ///When the owner's token expires, in UTC with the `Z` suffix. The Go zero time `0001-01-01T00:00:00Z` when it never expires and in the unlinked form (no omitempty). Sent by every release from v2.36.0 on, never before (v2.36.1:codersdk/agentsdk/agentsdk.go L727-729; v2.36.1:coderd/workspaceagents.go L2401-2404, L2114-2116; coder#26883).
        #[serde(skip_serializing_if = "::std::option::Option::is_none")]
        pub expires_at: ::std::option::Option<::chrono::DateTime<::chrono::offset::Utc>>,
        ///The token for `gitlab`, `bitbucket-cloud` and `bitbucket-server`; `""` for every other type and in the unlinked form (L2378-2398).
        pub password: ::std::string::String,
        ///Null unless the provider had `extra_token_keys` when the link was stored (Slack's default is `["authed_user"]`). Then it has every configured key, each holding the provider's value or null (coderd/externalauth/externalauth.go L160-176, coderd/workspaceagents.go L2402-2405).
        #[serde(deserialize_with = "::std::option::Option::deserialize")]
        pub token_extra: ::std::option::Option<
            ::serde_json::Map<::std::string::String, ::serde_json::Value>,
        >,
        ///The provider's configured type string, exactly as configured (legacy `bitbucket` reads `bitbucket-cloud`); `""` in the unlinked form (L2399-2400).
        #[serde(rename = "type")]
        pub type_: ::std::string::String,
        ///Unlinked form: the absolute URL `<access URL>/external-auth/<id>` of the web page where the owner links the provider (`AccessURL.Parse`, so a path in the access URL is replaced). Linked form: `""` (coderd/workspaceagents.go L2092-2135).
        pub url: ::std::string::String,
        ///For git's credential prompt (L2378-2398): `oauth2` for type `gitlab`, `x-token-auth` for `bitbucket-cloud`/`bitbucket-server`, **the token itself** for every other type (compared case-sensitively). Filled on both routes despite upstream's "only /gitauth" note. `""` in the unlinked form.
        pub username: ::std::string::String,
    }
    ///The provider's user (codersdk/externalauth.go L114-120). Missing values are zero values, never null.
    #[derive(
        ::serde::Deserialize,
        ::serde::Serialize,
        Clone,
        Debug,
        PartialEq,
    )]
    #[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
    pub struct ExternalAuthUser {
        pub avatar_url: ::std::string::String,
        pub id: i64,
        pub login: ::std::string::String,
        pub name: ::std::string::String,
        pub profile_url: ::std::string::String,
    }
    ///The 200 body of the list (codersdk/externalauth.go L67-74).
    #[derive(
        ::serde::Deserialize,
        ::serde::Serialize,
        Clone,
        Debug,
        PartialEq,
    )]
    #[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
    pub struct ListUserExternalAuthResponse {
        ///The caller's links, in unspecified order; never null.
        pub links: ::std::vec::Vec<ExternalAuthLink>,
        ///Every configured provider, in configuration order; never null.
        pub providers: ::std::vec::Vec<ExternalAuthLinkProvider>,
    }
    ///Coder's error envelope (codersdk/client.go L581-597).
    #[derive(
        ::serde::Deserialize,
        ::serde::Serialize,
        Clone,
        Debug,
        PartialEq,
    )]
    #[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
    pub struct Response {
        ///Omitted when empty.
        #[serde(skip_serializing_if = "::std::option::Option::is_none")]
        pub detail: ::std::option::Option<::std::string::String>,
        pub message: ::std::string::String,
        ///Omitted when empty; never set by these operations.
        #[serde(default, skip_serializing_if = "::std::vec::Vec::is_empty")]
        pub validations: ::std::vec::Vec<ValidationError>,
    }
    ///A provider referenced by a template version, with the caller's status (codersdk/templateversions.go L41-49).
    #[derive(
        ::serde::Deserialize,
        ::serde::Serialize,
        Clone,
        Debug,
        PartialEq,
    )]
    #[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
    pub struct TemplateVersionExternalAuth {
        ///Absolute `<access URL>/external-auth/<id>` (coderd/templateversions.go L381-393).
        pub authenticate_url: ::std::string::String,
        ///True only if the caller has a link and refreshing and validating it succeeded (L399-423).
        pub authenticated: bool,
        ///A path or URL; `/emojis/1f511.png` when neither configured nor defaulted by type.
        pub display_icon: ::std::string::String,
        pub display_name: ::std::string::String,
        pub id: ::std::string::String,
        ///Omitted when false (`omitempty`); true when the template marks the provider optional.
        #[serde(skip_serializing_if = "::std::option::Option::is_none")]
        pub optional: ::std::option::Option<bool>,
        ///The configured type string, e.g. `github`.
        #[serde(rename = "type")]
        pub type_: ::std::string::String,
    }
    ///A form-field error (codersdk/client.go L601-604).
    #[derive(
        ::serde::Deserialize,
        ::serde::Serialize,
        Clone,
        Debug,
        PartialEq,
    )]
    #[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
    pub struct ValidationError {
        pub detail: ::std::string::String,
        pub field: ::std::string::String,
    }
    /// Error types.
    pub mod error {
        /// Error from a `TryFrom` or `FromStr` implementation.
        pub struct ConversionError(::std::borrow::Cow<'static, str>);
        impl ::std::error::Error for ConversionError {}
        impl ::std::fmt::Display for ConversionError {
            fn fmt(
                &self,
                f: &mut ::std::fmt::Formatter<'_>,
            ) -> Result<(), ::std::fmt::Error> {
                ::std::fmt::Display::fmt(&self.0, f)
            }
        }
        impl ::std::fmt::Debug for ConversionError {
            fn fmt(
                &self,
                f: &mut ::std::fmt::Formatter<'_>,
            ) -> Result<(), ::std::fmt::Error> {
                ::std::fmt::Debug::fmt(&self.0, f)
            }
        }
        impl From<&'static str> for ConversionError {
            fn from(value: &'static str) -> Self {
                Self(value.into())
            }
        }
        impl From<String> for ConversionError {
            fn from(value: String) -> Self {
                Self(value.into())
            }
        }
    }
}
#[derive(Clone, Debug)]
/**Client for Coder external-auth (Git) API

Hand-curated description of the five operations Coder documents under the `Git` tag, and of the three external-auth routes workspaces and templates call (the workspace agent's token lookup, its deprecated `/gitauth` alias, and a template version's providers), telling what the real server does, for every supported release from v2.25.0 to v2.36.1 (read at coder/coder f96338110b61 and at each release tag in the Go module, and measured against the real server built from it: realcoder/). Fields and bodies that only some releases send carry `x-coder-since` (the first release that sends it) or `x-coder-until` (the first release that no longer does); as written here the document accepts every supported release, and `conformance spec --coder-version X` prints the contract of release X, where every such field is required or absent. Every deliberate divergence from Coder's published Swagger is listed, with its evidence, in openapi/README.md. `license` is the described server's; this document itself is MIT OR Apache-2.0, like the crate.

Version: 2.36.1*/
pub struct Client {
    pub(crate) baseurl: String,
    pub(crate) client: reqwest::Client,
    pub(crate) inner: crate::client::ClientState,
}
impl Client {
    /// Create a new client.
    ///
    /// `baseurl` is the base URL provided to the internal
    /// `reqwest::Client`, and should include a scheme and hostname,
    /// as well as port and a path stem if applicable.
    pub fn new(baseurl: &str, inner: crate::client::ClientState) -> Self {
        #[cfg(not(target_arch = "wasm32"))]
        let client = {
            let dur = ::std::time::Duration::from_secs(15u64);
            reqwest::ClientBuilder::new().connect_timeout(dur).timeout(dur)
        };
        #[cfg(target_arch = "wasm32")]
        let client = reqwest::ClientBuilder::new();
        Self::new_with_client(baseurl, client.build().unwrap(), inner)
    }
    /// Construct a new client with an existing `reqwest::Client`,
    /// allowing more control over its configuration.
    ///
    /// `baseurl` is the base URL provided to the internal
    /// `reqwest::Client`, and should include a scheme and hostname,
    /// as well as port and a path stem if applicable.
    pub fn new_with_client(
        baseurl: &str,
        client: reqwest::Client,
        inner: crate::client::ClientState,
    ) -> Self {
        Self {
            baseurl: baseurl.to_string(),
            client,
            inner,
        }
    }
}
impl ClientInfo<crate::client::ClientState> for Client {
    fn api_version() -> &'static str {
        "2.36.1"
    }
    fn baseurl(&self) -> &str {
        self.baseurl.as_str()
    }
    fn client(&self) -> &reqwest::Client {
        &self.client
    }
    fn inner(&self) -> &crate::client::ClientState {
        &self.inner
    }
}
impl ClientHooks<crate::client::ClientState> for &Client {}
#[allow(clippy::all)]
impl Client {
    /**Get user external auths

Lists every configured provider and the caller's links. The server refreshes and validates each linked token over the network before answering; refresh and validation failures show in `links[].authenticated` and `links[].validate_error`, never in the status (coderd/externalauth.go L348-405).

Sends a `GET` request to `/api/v2/external-auth`

*/
    pub async fn get_user_external_auths<'a>(
        &'a self,
    ) -> Result<
        ResponseValue<types::ListUserExternalAuthResponse>,
        Error<types::Response>,
    > {
        let url = format!("{}/api/v2/external-auth", self.baseurl,);
        let mut header_map = ::reqwest::header::HeaderMap::with_capacity(1usize);
        header_map
            .append(
                ::reqwest::header::HeaderName::from_static("api-version"),
                ::reqwest::header::HeaderValue::from_static(Self::api_version()),
            );
        #[allow(unused_mut)]
        let mut request = self
            .client
            .get(url)
            .header(
                ::reqwest::header::ACCEPT,
                ::reqwest::header::HeaderValue::from_static("application/json"),
            )
            .headers(header_map)
            .build()?;
        let info = OperationInfo {
            operation_id: "get_user_external_auths",
        };
        self.pre(&mut request, &info).await?;
        let result = self.exec(request, &info).await;
        self.post(&result, &info).await?;
        let response = result?;
        match response.status().as_u16() {
            200u16 => ResponseValue::from_response(response).await,
            401u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            403u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            404u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            429u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            500u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            _ => Err(Error::UnexpectedResponse(response)),
        }
    }
    /**Get external auth by ID

The caller's status for one provider. A missing link is 200 with `authenticated: false`, not 404. The token is validated but never refreshed here, so an expired token reads `authenticated: false`. `supports_revocation` is never set by this handler and is always false; read `supports_revocation` from the list's providers instead (coderd/externalauth.go L30-80).

Sends a `GET` request to `/api/v2/external-auth/{externalauth}`

Arguments:
- `externalauth`: Provider id as configured (defaults to the provider type, e.g. `github`). Matched exactly and case-sensitively. Valid ids are 1-32 characters matching `^[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*$`, not `new` or `create` (codersdk/name.go L44-60); the rule is stated here rather than as `pattern` so the generated client takes a plain string.
*/
    pub async fn get_external_auth_by_id<'a>(
        &'a self,
        externalauth: &'a str,
    ) -> Result<ResponseValue<types::ExternalAuth>, Error<types::Response>> {
        let url = format!(
            "{}/api/v2/external-auth/{}", self.baseurl, encode_path(& externalauth
            .to_string()),
        );
        let mut header_map = ::reqwest::header::HeaderMap::with_capacity(1usize);
        header_map
            .append(
                ::reqwest::header::HeaderName::from_static("api-version"),
                ::reqwest::header::HeaderValue::from_static(Self::api_version()),
            );
        #[allow(unused_mut)]
        let mut request = self
            .client
            .get(url)
            .header(
                ::reqwest::header::ACCEPT,
                ::reqwest::header::HeaderValue::from_static("application/json"),
            )
            .headers(header_map)
            .build()?;
        let info = OperationInfo {
            operation_id: "get_external_auth_by_id",
        };
        self.pre(&mut request, &info).await?;
        let result = self.exec(request, &info).await;
        self.post(&result, &info).await?;
        let response = result?;
        match response.status().as_u16() {
            200u16 => ResponseValue::from_response(response).await,
            401u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            403u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            404u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            429u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            500u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            _ => Err(Error::UnexpectedResponse(response)),
        }
    }
    /**Delete external auth user link by ID

Deletes the caller's link, then revokes the token at the provider (best effort, 10 s budget). Revocation happens after the delete, so its failure never changes the 200 nor restores the link; a second DELETE is 404. Cookie-authenticated requests are subject to CSRF checks that answer 400 text/plain; header-authenticated clients never see them (coderd/externalauth.go L92-136, coderd/httpmw/csrf.go).

Sends a `DELETE` request to `/api/v2/external-auth/{externalauth}`

Arguments:
- `externalauth`: Provider id as configured (defaults to the provider type, e.g. `github`). Matched exactly and case-sensitively. Valid ids are 1-32 characters matching `^[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*$`, not `new` or `create` (codersdk/name.go L44-60); the rule is stated here rather than as `pattern` so the generated client takes a plain string.
*/
    pub async fn delete_external_auth_user_link_by_id<'a>(
        &'a self,
        externalauth: &'a str,
    ) -> Result<ResponseValue<types::DeleteExternalAuthResult>, Error<types::Response>> {
        let url = format!(
            "{}/api/v2/external-auth/{}", self.baseurl, encode_path(& externalauth
            .to_string()),
        );
        let mut header_map = ::reqwest::header::HeaderMap::with_capacity(1usize);
        header_map
            .append(
                ::reqwest::header::HeaderName::from_static("api-version"),
                ::reqwest::header::HeaderValue::from_static(Self::api_version()),
            );
        #[allow(unused_mut)]
        let mut request = self
            .client
            .delete(url)
            .header(
                ::reqwest::header::ACCEPT,
                ::reqwest::header::HeaderValue::from_static("application/json"),
            )
            .headers(header_map)
            .build()?;
        let info = OperationInfo {
            operation_id: "delete_external_auth_user_link_by_id",
        };
        self.pre(&mut request, &info).await?;
        let result = self.exec(request, &info).await;
        self.post(&result, &info).await?;
        let response = result?;
        match response.status().as_u16() {
            200u16 => ResponseValue::from_response(response).await,
            401u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            403u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            404u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            429u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            500u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            _ => Err(Error::UnexpectedResponse(response)),
        }
    }
    /**Get external auth device by ID

Starts a new device authorization at the provider (RFC 8628) on every call and passes its answer through; nothing is stored in Coder. Fields the provider omits come back as "" or 0 (coderd/externalauth.go L235-256).

Sends a `GET` request to `/api/v2/external-auth/{externalauth}/device`

Arguments:
- `externalauth`: Provider id as configured (defaults to the provider type, e.g. `github`). Matched exactly and case-sensitively. Valid ids are 1-32 characters matching `^[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*$`, not `new` or `create` (codersdk/name.go L44-60); the rule is stated here rather than as `pattern` so the generated client takes a plain string.
*/
    pub async fn get_external_auth_device_by_id<'a>(
        &'a self,
        externalauth: &'a str,
    ) -> Result<ResponseValue<types::ExternalAuthDevice>, Error<types::Response>> {
        let url = format!(
            "{}/api/v2/external-auth/{}/device", self.baseurl, encode_path(& externalauth
            .to_string()),
        );
        let mut header_map = ::reqwest::header::HeaderMap::with_capacity(1usize);
        header_map
            .append(
                ::reqwest::header::HeaderName::from_static("api-version"),
                ::reqwest::header::HeaderValue::from_static(Self::api_version()),
            );
        #[allow(unused_mut)]
        let mut request = self
            .client
            .get(url)
            .header(
                ::reqwest::header::ACCEPT,
                ::reqwest::header::HeaderValue::from_static("application/json"),
            )
            .headers(header_map)
            .build()?;
        let info = OperationInfo {
            operation_id: "get_external_auth_device_by_id",
        };
        self.pre(&mut request, &info).await?;
        let result = self.exec(request, &info).await;
        self.post(&result, &info).await?;
        let response = result?;
        match response.status().as_u16() {
            200u16 => ResponseValue::from_response(response).await,
            400u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            401u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            403u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            404u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            429u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            500u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            _ => Err(Error::UnexpectedResponse(response)),
        }
    }
    /**Post external auth device by ID

Exchanges a device code: one poll of the device flow. 400 `Failed to exchange device code.` with detail `authorization_pending` or `slow_down` is the normal answer until the user approves; poll every `interval` seconds, add 5 s on `slow_down`, and stop on any other detail. On success the link is created or updated and the answer is 204 (coderd/externalauth.go L145-225).

Sends a `POST` request to `/api/v2/external-auth/{externalauth}/device`

Arguments:
- `externalauth`: Provider id as configured (defaults to the provider type, e.g. `github`). Matched exactly and case-sensitively. Valid ids are 1-32 characters matching `^[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*$`, not `new` or `create` (codersdk/name.go L44-60); the rule is stated here rather than as `pattern` so the generated client takes a plain string.
- `body`: The device code from GET device. The server decodes the first JSON value, ignores unknown fields and does not check Content-Type.
*/
    pub async fn post_external_auth_device_by_id<'a>(
        &'a self,
        externalauth: &'a str,
        body: &'a types::ExternalAuthDeviceExchange,
    ) -> Result<ResponseValue<()>, Error<types::Response>> {
        let url = format!(
            "{}/api/v2/external-auth/{}/device", self.baseurl, encode_path(& externalauth
            .to_string()),
        );
        let mut header_map = ::reqwest::header::HeaderMap::with_capacity(1usize);
        header_map
            .append(
                ::reqwest::header::HeaderName::from_static("api-version"),
                ::reqwest::header::HeaderValue::from_static(Self::api_version()),
            );
        #[allow(unused_mut)]
        let mut request = self
            .client
            .post(url)
            .header(
                ::reqwest::header::ACCEPT,
                ::reqwest::header::HeaderValue::from_static("application/json"),
            )
            .json(&body)
            .headers(header_map)
            .build()?;
        let info = OperationInfo {
            operation_id: "post_external_auth_device_by_id",
        };
        self.pre(&mut request, &info).await?;
        let result = self.exec(request, &info).await;
        self.post(&result, &info).await?;
        let response = result?;
        match response.status().as_u16() {
            204u16 => Ok(ResponseValue::empty(response)),
            400u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            401u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            403u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            404u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            429u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            500u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            _ => Err(Error::UnexpectedResponse(response)),
        }
    }
    /**Get workspace agent external auth

Called from inside a workspace with the workspace agent's token: returns the workspace owner's token for one provider, chosen by `id` or by matching `match` (legacy name `url`) against each provider's `regex`. The server refreshes and validates the owner's link over the network on every call (up to ~10 s of retries on transient refresh failures, coderd/externalauth/externalauth.go L42-54). The 200 has two forms: **unlinked** (no link, or the token is invalid and cannot be refreshed): every string `""` except `url`, which is the absolute `<access URL>/external-auth/<id>` page where the owner links, and `token_extra` null; **linked**: the token filled in and `url` `""` (coderd/workspaceagents.go L2091-2146). With `listen` the server answers a linked caller at once; otherwise it holds the request, checking every second, until a new valid token appears, and then answers the linked form. Errors of the first attempt are then swallowed, the loop never refreshes an expired token, validation errors are only logged, and nothing is written if the client goes away (L2082-2089, L2149-2230). There is no server-side time limit. Also reads the optional, never-rejected query parameters `git_branch`, `git_remote_origin` and `chat_id` (since v2.32.0, L1960-1968), which are not described here. Coder's `coder external-auth access-token` and git askpass helper call this route (cli/externalauth.go L76-108, cli/gitaskpass.go L77-123).

Sends a `GET` request to `/api/v2/workspaceagents/me/external-auth`

Arguments:
- `id`: Provider id, matched exactly and case-sensitively. Give exactly one of `id` and `match`/`url` (coderd/workspaceagents.go L1975-1998).
- `listen`: Presence-only: the server tests only whether the parameter exists, so `listen=false` **also** long-polls; omit it not to wait (coderd/workspaceagents.go L1991). When present and the caller is not linked, the request is held (1 s polling, no server deadline) until a new valid token exists.
- `match_`: A string (Coder's git helper sends the remote's `scheme://host`) matched against each configured provider's `regex`; the **last** matching provider in configuration order wins, and providers without a regex never match. Give exactly one of `match` (or its legacy name `url`) and `id`; an empty value counts as absent (coderd/workspaceagents.go L1969-2007). Default regexes: github `^(https?://)?github\.com(/.*)?$`, gitlab (cloud) `^(https?://)?gitlab\.com(/.*)?$`, bitbucket-cloud `^(https?://)?bitbucket\.org(/.*)?$`, azure-devops and azure-devops-entra `^(https?://)?dev\.azure\.com(/.*)?$`; self-hosted gitlab, bitbucket-server and gitea use their `auth_url` host; jfrog, slack and custom types have none (coderd/externalauth/externalauth.go L947-1312).
- `url`: Legacy name of `match`, read only when `match` is empty (coderd/workspaceagents.go L1970-1974). Not in upstream's Swagger.
*/
    pub async fn get_workspace_agent_external_auth<'a>(
        &'a self,
        id: Option<&'a str>,
        listen: Option<bool>,
        match_: Option<&'a str>,
        url: Option<&'a str>,
    ) -> Result<ResponseValue<types::ExternalAuthResponse>, Error<types::Response>> {
        let _url = format!("{}/api/v2/workspaceagents/me/external-auth", self.baseurl,);
        let mut header_map = ::reqwest::header::HeaderMap::with_capacity(1usize);
        header_map
            .append(
                ::reqwest::header::HeaderName::from_static("api-version"),
                ::reqwest::header::HeaderValue::from_static(Self::api_version()),
            );
        #[allow(unused_mut)]
        let mut request = self
            .client
            .get(_url)
            .header(
                ::reqwest::header::ACCEPT,
                ::reqwest::header::HeaderValue::from_static("application/json"),
            )
            .query(&progenitor_client::QueryParam::new("id", &id))
            .query(&progenitor_client::QueryParam::new("listen", &listen))
            .query(&progenitor_client::QueryParam::new("match", &match_))
            .query(&progenitor_client::QueryParam::new("url", &url))
            .headers(header_map)
            .build()?;
        let info = OperationInfo {
            operation_id: "get_workspace_agent_external_auth",
        };
        self.pre(&mut request, &info).await?;
        let result = self.exec(request, &info).await;
        self.post(&result, &info).await?;
        let response = result?;
        match response.status().as_u16() {
            200u16 => ResponseValue::from_response(response).await,
            400u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            401u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            403u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            404u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            429u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            500u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            _ => Err(Error::UnexpectedResponse(response)),
        }
    }
    /**Removed: Get workspace agent git auth

Deprecated alias kept for legacy agents: routed to the same handler as `/api/v2/workspaceagents/me/external-auth` and byte-identical to it, `username`/`password` included (coderd/coderd.go L1799-1801, coderd/deprecated.go L59-61). Upstream's summary says "Removed", but the route is still served. Called from inside a workspace with the workspace agent's token: returns the workspace owner's token for one provider, chosen by `id` or by matching `match` (legacy name `url`) against each provider's `regex`. The server refreshes and validates the owner's link over the network on every call (up to ~10 s of retries on transient refresh failures, coderd/externalauth/externalauth.go L42-54). The 200 has two forms: **unlinked** (no link, or the token is invalid and cannot be refreshed): every string `""` except `url`, which is the absolute `<access URL>/external-auth/<id>` page where the owner links, and `token_extra` null; **linked**: the token filled in and `url` `""` (coderd/workspaceagents.go L2091-2146). With `listen` the server answers a linked caller at once; otherwise it holds the request, checking every second, until a new valid token appears, and then answers the linked form. Errors of the first attempt are then swallowed, the loop never refreshes an expired token, validation errors are only logged, and nothing is written if the client goes away (L2082-2089, L2149-2230). There is no server-side time limit. Also reads the optional, never-rejected query parameters `git_branch`, `git_remote_origin` and `chat_id` (since v2.32.0, L1960-1968), which are not described here. Coder's `coder external-auth access-token` and git askpass helper call this route (cli/externalauth.go L76-108, cli/gitaskpass.go L77-123).

Sends a `GET` request to `/api/v2/workspaceagents/me/gitauth`

Arguments:
- `id`: Provider id, matched exactly and case-sensitively. Give exactly one of `id` and `match`/`url` (coderd/workspaceagents.go L1975-1998).
- `listen`: Presence-only: the server tests only whether the parameter exists, so `listen=false` **also** long-polls; omit it not to wait (coderd/workspaceagents.go L1991). When present and the caller is not linked, the request is held (1 s polling, no server deadline) until a new valid token exists.
- `match_`: A string (Coder's git helper sends the remote's `scheme://host`) matched against each configured provider's `regex`; the **last** matching provider in configuration order wins, and providers without a regex never match. Give exactly one of `match` (or its legacy name `url`) and `id`; an empty value counts as absent (coderd/workspaceagents.go L1969-2007). Default regexes: github `^(https?://)?github\.com(/.*)?$`, gitlab (cloud) `^(https?://)?gitlab\.com(/.*)?$`, bitbucket-cloud `^(https?://)?bitbucket\.org(/.*)?$`, azure-devops and azure-devops-entra `^(https?://)?dev\.azure\.com(/.*)?$`; self-hosted gitlab, bitbucket-server and gitea use their `auth_url` host; jfrog, slack and custom types have none (coderd/externalauth/externalauth.go L947-1312).
- `url`: Legacy name of `match`, read only when `match` is empty (coderd/workspaceagents.go L1970-1974). Not in upstream's Swagger.
*/
    pub async fn removed_get_workspace_agent_git_auth<'a>(
        &'a self,
        id: Option<&'a str>,
        listen: Option<bool>,
        match_: Option<&'a str>,
        url: Option<&'a str>,
    ) -> Result<ResponseValue<types::ExternalAuthResponse>, Error<types::Response>> {
        let _url = format!("{}/api/v2/workspaceagents/me/gitauth", self.baseurl,);
        let mut header_map = ::reqwest::header::HeaderMap::with_capacity(1usize);
        header_map
            .append(
                ::reqwest::header::HeaderName::from_static("api-version"),
                ::reqwest::header::HeaderValue::from_static(Self::api_version()),
            );
        #[allow(unused_mut)]
        let mut request = self
            .client
            .get(_url)
            .header(
                ::reqwest::header::ACCEPT,
                ::reqwest::header::HeaderValue::from_static("application/json"),
            )
            .query(&progenitor_client::QueryParam::new("id", &id))
            .query(&progenitor_client::QueryParam::new("listen", &listen))
            .query(&progenitor_client::QueryParam::new("match", &match_))
            .query(&progenitor_client::QueryParam::new("url", &url))
            .headers(header_map)
            .build()?;
        let info = OperationInfo {
            operation_id: "removed_get_workspace_agent_git_auth",
        };
        self.pre(&mut request, &info).await?;
        let result = self.exec(request, &info).await;
        self.post(&result, &info).await?;
        let response = result?;
        match response.status().as_u16() {
            200u16 => ResponseValue::from_response(response).await,
            400u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            401u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            403u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            404u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            429u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            500u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            _ => Err(Error::UnexpectedResponse(response)),
        }
    }
    /**Get external auth by template version

The providers a template version references, in the version's order, each with whether the caller has a usable token. For every linked provider the server refreshes (persisting a refreshed token) and validates the token over the network. `authenticated` is true only when that succeeded, and a refresh or validation failure other than a rejected token fails the whole request with 500 (coderd/templateversions.go L334-428). Before v2.36.0 there is no RBAC 403 in this handler; from v2.36.0 `user_id` naming another user needs the right to create a workspace for that user (403 otherwise). An unreadable version is 404, checked before `user_id` is read.

Sends a `GET` request to `/api/v2/templateversions/{templateversion}/external-auth`

Arguments:
- `templateversion`: Template version id, a UUID. Accepted forms are those of google/uuid v1.6.0 `Parse`: 36 characters, `urn:uuid:` + 36, 38 characters with the braces unchecked, 32 hex digits. Anything else is 400 (coderd/httpmw/httpmw.go L26-33). Stated here rather than as `format: uuid`, so the generated client takes a plain string and a check can provoke the 400.
- `user_id`: Whose links to report: `me` (exactly; the default) or a user's UUID. Another user's UUID needs the permission to create a workspace for that user in the version's organization, else 403 `Forbidden.`; anything else that is not a UUID is 400 `Invalid user_id query parameter.` with the parser's error as detail. Read from v2.36.0 on; older releases ignore it (v2.36.1:coderd/templateversions.go L332, L342-366; coder#26653).
*/
    pub async fn get_external_auth_by_template_version<'a>(
        &'a self,
        templateversion: &'a str,
        user_id: Option<&'a str>,
    ) -> Result<
        ResponseValue<::std::vec::Vec<types::TemplateVersionExternalAuth>>,
        Error<types::Response>,
    > {
        let url = format!(
            "{}/api/v2/templateversions/{}/external-auth", self.baseurl, encode_path(&
            templateversion.to_string()),
        );
        let mut header_map = ::reqwest::header::HeaderMap::with_capacity(1usize);
        header_map
            .append(
                ::reqwest::header::HeaderName::from_static("api-version"),
                ::reqwest::header::HeaderValue::from_static(Self::api_version()),
            );
        #[allow(unused_mut)]
        let mut request = self
            .client
            .get(url)
            .header(
                ::reqwest::header::ACCEPT,
                ::reqwest::header::HeaderValue::from_static("application/json"),
            )
            .query(&progenitor_client::QueryParam::new("user_id", &user_id))
            .headers(header_map)
            .build()?;
        let info = OperationInfo {
            operation_id: "get_external_auth_by_template_version",
        };
        self.pre(&mut request, &info).await?;
        let result = self.exec(request, &info).await;
        self.post(&result, &info).await?;
        let response = result?;
        match response.status().as_u16() {
            200u16 => ResponseValue::from_response(response).await,
            400u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            401u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            403u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            404u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            429u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            500u16 => {
                Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
            }
            _ => Err(Error::UnexpectedResponse(response)),
        }
    }
}
/// Items consumers will typically use such as the Client.
pub mod prelude {
    #[allow(unused_imports)]
    pub use super::Client;
}
