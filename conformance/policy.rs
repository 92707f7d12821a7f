//! What a run does on its target, decided once, when the target is built: which links it may
//! DELETE, how the device flow is approved, whether a retry may help, which template versions
//! and whether `listen` are checked, which further scenes run beside it, and which opt-ins a
//! report should mention. Nothing after it asks whether the target is the imitation; the
//! plan, the flows and the pipeline read this instead.

use crate::options::RunOptions;
use crate::scenes::{SCENES, Scene};

/// The run's policy (see the module docs).
#[derive(Clone)]
pub struct Policy {
    /// DELETE every link the list shows (nothing real changes on the embedded imitation),
    /// instead of only those `--allow-delete` names.
    pub delete_every_link: bool,
    pub device_flow: DeviceFlow,
    /// Retry what a retry can help (rate limits, gateway errors, broken connections): a live
    /// deployment may need it; the embedded imitation never does, and its run must be quick.
    pub retries: bool,
    pub template_versions: TemplateVersions,
    /// Run the agent route's `listen` long poll.
    pub listen: bool,
    /// Say in the report which opt-ins (`--allow-delete`, `--agent-listen`) were not given.
    pub note_opt_ins: bool,
    /// Further deployments checked beside the target, each started for the run.
    pub scenes: &'static [Scene],
}

/// How the device flow runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceFlow {
    /// Not asked for (`--device-flow` not given).
    Off,
    /// The embedded imitation approves at once: no code is shown, no poll interval waited.
    Imitated,
    /// A live deployment: the code is shown where only a person sees it (or nowhere, for a
    /// target that approves by itself), and polls wait out the interval.
    Live,
}

/// The template versions whose providers are checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplateVersions {
    /// The embedded imitation's own (with providers, without, with a removed one).
    Imitation,
    /// The one `--template-version` names.
    Given(String),
    /// None: made-up ids only.
    NotGiven,
}

impl Policy {
    /// The embedded imitation's: everything runs, at once.
    pub fn imitation() -> Self {
        Self {
            delete_every_link: true,
            device_flow: DeviceFlow::Imitated,
            retries: false,
            template_versions: TemplateVersions::Imitation,
            listen: true,
            note_opt_ins: false,
            scenes: SCENES,
        }
    }

    /// A live deployment's: only what the flags opt into changes anything or waits long.
    pub fn live(options: &RunOptions) -> Self {
        Self {
            delete_every_link: false,
            device_flow: if options.device_flow {
                DeviceFlow::Live
            } else {
                DeviceFlow::Off
            },
            retries: true,
            template_versions: match &options.template_version {
                Some(id) => TemplateVersions::Given(id.clone()),
                None => TemplateVersions::NotGiven,
            },
            listen: options.agent_listen,
            note_opt_ins: true,
            scenes: &[],
        }
    }
}
