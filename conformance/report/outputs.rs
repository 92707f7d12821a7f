//! Every output of a run as one list, built once from the flags and the environment:
//! the human report on stderr, GitHub's annotations and job summary, and each report file.
//! Checking that two outputs do not share a path and delivering them both walk this list.
//! A new format is one renderer file, one [`Format`] arm and one flag.

use std::path::{Path, PathBuf};

use super::{RunReport, github, human, junit, output, sarif, scrub};
use crate::exit::Exit;
use crate::files::{self, Destination};
use crate::secrets::Secrets;

/// A report written to a path a flag named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Junit,
    Sarif,
    /// `--write-baseline`; with `force`, over an existing file.
    Baseline {
        force: bool,
    },
}

impl Format {
    /// The flag that names its path.
    pub fn flag(self) -> &'static str {
        match self {
            Format::Json => "--json",
            Format::Junit => "--junit",
            Format::Sarif => "--sarif",
            Format::Baseline { .. } => "--write-baseline",
        }
    }

    /// Writes `report` to `path`. A baseline is written only for a run that judged.
    fn write(self, report: &RunReport, path: &Path) -> anyhow::Result<()> {
        match self {
            Format::Json => {
                let text = serde_json::to_string_pretty(report)?;
                output::write(path, self.flag(), &format!("{text}\n"))
            }
            Format::Junit => output::write(path, self.flag(), &junit::render(report)?),
            Format::Sarif => output::write(path, self.flag(), &sarif::render(report)?),
            Format::Baseline { force } if report.stopped.is_none() => {
                let text = super::baseline::starting_file(report, super::baseline::today())?;
                super::baseline::write(path, force, &text)
            }
            Format::Baseline { .. } => Ok(()),
        }
    }
}

/// One report file.
#[derive(Clone, Debug)]
pub struct FileOutput {
    pub format: Format,
    pub path: PathBuf,
}

/// Where a run's report goes.
#[derive(Clone, Debug, Default)]
pub struct Outputs {
    /// The human report on stderr (a run that could not start says why in one line instead).
    pub human: bool,
    /// Under GitHub Actions: annotations, and the job summary's file when GitHub named one.
    pub github: Option<GitHub>,
    /// Report files, in the order the flags are listed; the JSON report is written last,
    /// so its `exit_code` is the process's whatever failed before it.
    pub files: Vec<FileOutput>,
}

/// GitHub Actions' outputs, read from the environment once.
#[derive(Clone, Debug)]
pub struct GitHub {
    pub summary: Option<PathBuf>,
}

impl GitHub {
    /// GitHub's outputs when the run is under Actions.
    pub fn from_environment() -> Option<Self> {
        github::active().then(|| GitHub {
            summary: std::env::var_os("GITHUB_STEP_SUMMARY").map(PathBuf::from),
        })
    }
}

impl Outputs {
    /// The outputs the flags name.
    pub fn new(files: impl IntoIterator<Item = (Format, PathBuf)>) -> Self {
        let files = files
            .into_iter()
            .map(|(format, path)| FileOutput { format, path })
            .collect();
        Self {
            human: true,
            github: GitHub::from_environment(),
            files,
        }
    }

    /// Refuses two outputs naming the same file (one would silently replace the other), and
    /// any report over the baseline the run reads, which `--write-baseline` alone may name
    /// (with `--force`: that is how a baseline is refreshed in place).
    pub fn check_distinct(&self, baseline: Option<&Path>) -> anyhow::Result<()> {
        let named: Vec<(&str, &Path)> = self
            .files
            .iter()
            .map(|file| (file.format.flag(), file.path.as_path()))
            .collect();
        output::check_distinct(&named)?;
        if let Some(read) = baseline {
            for (flag, path) in named.iter().filter(|(flag, _)| *flag != "--write-baseline") {
                output::check_distinct(&[("--baseline", read), (flag, path)])?;
            }
        }
        Ok(())
    }

    /// The same outputs without the files that would go over `baseline` (for the report of
    /// a run that stopped: it must not lose the baseline either).
    pub fn not_over(&self, baseline: Option<&Path>) -> Self {
        let mut outputs = self.clone();
        if let Some(read) = baseline {
            outputs.files.retain(|file| {
                matches!(file.format, Format::Baseline { .. })
                    || output::check_distinct(&[("--baseline", read), ("a report", &file.path)])
                        .is_ok()
            });
        }
        outputs
    }

    /// Scrubs the report (secrets masked, text sanitised and bounded) and delivers it to
    /// every output. Returns the exit status the process ends with: the report's, or 2 when
    /// an output could not be written, which every output written after says too.
    pub fn deliver(&self, report: RunReport, secrets: &Secrets) -> Exit {
        let mut report = scrub::scrubbed(report, secrets);
        let mut failures = Failures::default();
        if self.human {
            crate::console::err(&human::render(&report));
        }
        if let Some(github) = &self.github {
            let annotations = github::annotations(&report);
            // GitHub reads workflow commands from either stream: with a report on stdout,
            // they go to stderr, so stdout stays one document.
            if self
                .files
                .iter()
                .any(|file| Destination::of(&file.path) == Destination::Stdout)
            {
                crate::console::err(&annotations);
            } else {
                crate::console::out(&annotations);
            }
            if let Some(path) = &github.summary {
                let what = format!("$GITHUB_STEP_SUMMARY {}", path.display());
                failures.record(files::append(
                    path,
                    &what,
                    github::summary(&report).as_bytes(),
                ));
            }
        }
        failures.apply(&mut report);
        let (json, others): (Vec<&FileOutput>, Vec<&FileOutput>) = self
            .files
            .iter()
            .partition(|file| file.format == Format::Json);
        for file in others.into_iter().chain(json) {
            failures.record(file.format.write(&report, &file.path));
            failures.apply(&mut report);
        }
        for failure in &failures.all {
            crate::console::err_line(&format!("error: {}", secrets.mask_str(failure)));
        }
        failures.apply(&mut report);
        report.exit()
    }
}

/// The outputs that could not be written (stdout and stderr included, as the console saw).
#[derive(Default)]
struct Failures {
    all: Vec<String>,
    noted: usize,
}

impl Failures {
    fn record(&mut self, result: anyhow::Result<()>) {
        if let Err(err) = result {
            self.all.push(format!("{err:#}"));
        }
    }

    /// Once an output could not be written the run ends with exit 2, and every output
    /// written after says so and why.
    fn apply(&mut self, report: &mut RunReport) {
        if let Some(console) = crate::console::failure()
            && !self.all.contains(&console)
        {
            self.all.push(console);
        }
        if self.all.len() == self.noted {
            return;
        }
        report.exit_code = Exit::CouldNotRun;
        for failure in &self.all[self.noted..] {
            report
                .notes
                .push(format!("could not write an output: {failure}"));
        }
        self.noted = self.all.len();
    }
}
