//! The command line, as clap parses it. Each flag is documented once, here.

use clap::{Args, Parser, Subcommand};

/// credtray: short-lived AWS credentials from secrets kept in the OS keychain.
#[derive(Debug, Parser)]
#[command(name = "credtray", version, about, long_about = None)]
pub struct Cli {
    /// What to do; with none, credtray runs in the background (the tray, or the headless
    /// agent where there is no display).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Top-level commands.
// Parsed once per process: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the rotation agent in the foreground, with no GUI; logs go to stderr.
    Agent,
    /// Named profiles: the sections of the AWS files that sessions write to.
    #[command(subcommand)]
    Profile(ProfileCommand),
    /// Sessions: ways of obtaining credentials, each bound to one profile and region.
    #[command(subcommand)]
    Session(SessionCommand),
    /// IAM Identity Center integrations: portals whose accounts and roles become sessions.
    #[command(subcommand)]
    Integration(IntegrationCommand),
    /// Settings.
    #[command(subcommand)]
    Settings(SettingsCommand),
    /// Start the tray at login: on, off, or status.
    Autostart {
        /// What to do.
        #[arg(value_enum)]
        action: AutostartAction,
    },
}

/// `credtray autostart …`
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum AutostartAction {
    /// Start credtray at login.
    On,
    /// Do not start credtray at login.
    Off,
    /// Say whether credtray starts at login.
    Status,
}

/// `credtray profile …`
#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// List the named profiles.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Add a named profile.
    Add {
        /// The new profile's name.
        name: String,
    },
    /// Rename a profile; its active session stops, moves and restarts.
    Rename {
        /// The current name.
        old: String,
        /// The new name.
        new: String,
    },
    /// Remove a profile; its sessions move to `default` (an active one restarts there).
    Remove {
        /// The profile.
        name: String,
    },
}

/// `credtray integration …`
#[derive(Debug, Subcommand)]
pub enum IntegrationCommand {
    /// Add an IAM Identity Center portal (nothing is contacted until `login`).
    Add {
        /// A name for it.
        #[arg(long)]
        alias: String,
        /// The portal's start URL (https://…awsapps.com/start).
        #[arg(long)]
        start_url: String,
        /// The region of IAM Identity Center.
        #[arg(long)]
        region: String,
    },
    /// List the integrations: start URL, region, status, token expiry, sessions.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Sign in (in the browser), then sync the accounts and roles.
    Login {
        /// Alias, id or unique id prefix.
        integration: String,
        /// Sign in with a code confirmed on any device instead (SSH, no browser here).
        #[arg(long)]
        use_device_code: bool,
    },
    /// Sync the accounts and roles into sessions (signing in first if needed).
    Sync {
        /// Alias, id or unique id prefix.
        integration: String,
    },
    /// Sign out: the tokens are revoked and forgotten, the integration's sessions stop.
    Logout {
        /// Alias, id or unique id prefix.
        integration: String,
    },
    /// Remove the integration and its sessions (active ones are stopped first).
    Remove {
        /// Alias, id or unique id prefix.
        integration: String,
        /// Do not ask for confirmation.
        #[arg(long, short)]
        yes: bool,
    },
}

/// `credtray session …`
#[derive(Debug, Subcommand)]
pub enum SessionCommand {
    /// List sessions (never a secret).
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Add a session.
    #[command(subcommand)]
    Add(AddCommand),
    /// Change a session's fields; an active session whose profile or region changes restarts.
    Edit(EditArgs),
    /// Remove a session and its keychain items.
    Remove {
        /// Id, alias or unique id prefix.
        session: String,
        /// Also remove the sessions chained below it.
        #[arg(long)]
        with_children: bool,
    },
    /// Obtain credentials and write them under the session's profile.
    Start(StartArgs),
    /// Remove the session's credentials from the AWS files.
    Stop {
        /// Id, alias or unique id prefix.
        session: String,
    },
    /// Forget a SAML federated session's remembered sign-in: delete the identity provider's
    /// cookies (shared by every session with the same SAML URL), so the next start asks you
    /// to sign in again.
    ForgetSignin {
        /// Id, alias or unique id prefix.
        session: String,
    },
    /// Obtain credentials without writing them anywhere and say whether they work.
    Test {
        /// Id, alias or unique id prefix.
        session: String,
        /// The current MFA code, when the session needs one.
        #[arg(long, value_name = "CODE")]
        mfa_code: Option<String>,
    },
}

/// Fields common to every kind.
#[derive(Debug, Args)]
pub struct CommonFields {
    /// A label for the session, unique among sessions.
    #[arg(long)]
    pub alias: String,
    /// The named profile to write credentials under (created if missing).
    #[arg(long, default_value = "default")]
    pub profile: String,
    /// The region written to the config file and used for STS calls.
    #[arg(long, default_value = crate::model::session::DEFAULT_REGION)]
    pub region: String,
}

/// `credtray session add …`
#[derive(Debug, Subcommand)]
pub enum AddCommand {
    /// An IAM user's access keys (read from a prompt, or two lines on standard input).
    IamUser {
        /// Alias, profile and region.
        #[command(flatten)]
        common: CommonFields,
        /// ARN of the MFA device, when the user must give MFA codes.
        #[arg(long, value_name = "ARN")]
        mfa_serial: Option<String>,
        /// Session-token lifetime in seconds (900–129600).
        #[arg(long, value_name = "SECONDS", default_value_t = crate::model::session::DEFAULT_USER_DURATION)]
        duration: u32,
    },
    /// A role assumed with the credentials of another session.
    IamRoleChained {
        /// Alias, profile and region.
        #[command(flatten)]
        common: CommonFields,
        /// The session whose credentials assume the role.
        #[arg(long, value_name = "SESSION")]
        parent: String,
        /// The role's ARN.
        #[arg(long, value_name = "ARN")]
        role_arn: String,
        /// RoleSessionName.
        #[arg(long, value_name = "NAME", default_value = crate::model::session::DEFAULT_ROLE_SESSION_NAME)]
        role_session_name: String,
        /// ExternalId, when the role's trust policy asks for one.
        #[arg(long, value_name = "ID")]
        external_id: Option<String>,
        /// Role credentials' lifetime in seconds (900–43200; chained roles get at most 3600).
        #[arg(long, value_name = "SECONDS", default_value_t = crate::model::session::DEFAULT_ROLE_DURATION)]
        duration: u32,
    },
    /// A role reached through a SAML 2.0 identity provider: its sign-in page opens in a
    /// window of credtray's own, and the assertion goes to AssumeRoleWithSAML.
    IamRoleFederated {
        /// Alias, profile and region.
        #[command(flatten)]
        common: CommonFields,
        /// The role's ARN (arn:aws:iam::ACCOUNT:role/NAME).
        #[arg(long, value_name = "ARN")]
        role_arn: String,
        /// The IdP's ARN in IAM (arn:aws:iam::ACCOUNT:saml-provider/NAME).
        #[arg(long, value_name = "ARN")]
        idp_arn: String,
        /// The IdP's SAML 2.0 sign-in URL (https).
        #[arg(long, value_name = "URL")]
        saml_url: String,
        /// Role credentials' lifetime in seconds (900–43200, and at most the role's maximum).
        #[arg(long, value_name = "SECONDS", default_value_t = crate::model::session::DEFAULT_ROLE_DURATION)]
        duration: u32,
    },
}

/// `credtray session edit …`: only the given fields change.
#[derive(Debug, Args)]
pub struct EditArgs {
    /// Id, alias or unique id prefix.
    pub session: String,
    /// New alias.
    #[arg(long)]
    pub alias: Option<String>,
    /// New profile (created if missing).
    #[arg(long)]
    pub profile: Option<String>,
    /// New region.
    #[arg(long)]
    pub region: Option<String>,
    /// New MFA device ARN (iam-user); an empty value removes it.
    #[arg(long, value_name = "ARN")]
    pub mfa_serial: Option<String>,
    /// New lifetime in seconds.
    #[arg(long, value_name = "SECONDS")]
    pub duration: Option<u32>,
    /// Replace the access keys (iam-user), read like on add.
    #[arg(long)]
    pub access_keys: bool,
    /// New parent session (iam-role-chained).
    #[arg(long, value_name = "SESSION")]
    pub parent: Option<String>,
    /// New role ARN (iam-role-chained, iam-role-federated).
    #[arg(long, value_name = "ARN")]
    pub role_arn: Option<String>,
    /// New IdP ARN (iam-role-federated).
    #[arg(long, value_name = "ARN")]
    pub idp_arn: Option<String>,
    /// New SAML sign-in URL (iam-role-federated).
    #[arg(long, value_name = "URL")]
    pub saml_url: Option<String>,
    /// New RoleSessionName (iam-role-chained).
    #[arg(long, value_name = "NAME")]
    pub role_session_name: Option<String>,
    /// New ExternalId (iam-role-chained); an empty value removes it.
    #[arg(long, value_name = "ID")]
    pub external_id: Option<String>,
    /// The current MFA code, for an active session that restarts to apply the edit
    /// (asked on the terminal otherwise).
    #[arg(long, value_name = "CODE")]
    pub mfa_code: Option<String>,
}

/// `credtray session start …`
#[derive(Debug, Args)]
pub struct StartArgs {
    /// Id, alias or unique id prefix.
    pub session: String,
    /// The current MFA code, when the session needs one (asked on the terminal otherwise).
    #[arg(long, value_name = "CODE")]
    pub mfa_code: Option<String>,
    /// If the profile holds your own keys, set them aside while the session runs and put
    /// them back, byte for byte, when it stops.
    #[arg(long)]
    pub take_over: bool,
}

/// `credtray settings …`
#[derive(Debug, Subcommand)]
pub enum SettingsCommand {
    /// Show the settings.
    Show {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Change a setting.
    Set {
        /// The setting.
        #[arg(value_enum)]
        key: SettingKey,
        /// Its new value.
        value: String,
    },
}

/// Settings that can be changed.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SettingKey {
    /// Seconds before expiration at which sessions are refreshed (10–43200, default 300).
    RotationMargin,
    /// Whether the tray restarts at launch the sessions its Quit stopped (on|off, default on).
    ResumeAtLaunch,
}
