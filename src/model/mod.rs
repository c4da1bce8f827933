//! The pure model: sessions, named profiles, settings and the rules that tie them
//! together. Plain data and functions; no I/O.

pub mod federated;
pub mod fields;
pub mod integration;
pub mod patch;
pub mod portal;
pub mod profile;
pub mod region;
pub mod session;
pub mod state;
pub mod text;
pub mod validate;

pub use federated::validate_federated;
pub use integration::{Integration, SignIn, Status};
pub use patch::{Effect, SessionPatch};
pub use profile::{validate_profile_name, DEFAULT_PROFILE};
pub use region::{validate_region, REGIONS};
pub use session::{ChainedRole, FederatedRole, IamUser, KindName, Session, SessionKind, SsoRole};
pub use state::{Active, ModelError, Pending, Settings, State, SCHEMA_VERSION};
pub use validate::ROTATION_MARGIN_RANGE;
