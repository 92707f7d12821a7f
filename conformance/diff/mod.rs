//! Placeholder owned by the diff work.
use clap::Args;
#[derive(Debug, Args)]
pub struct DiffArgs {}
pub async fn run(_args: &DiffArgs) -> anyhow::Result<crate::exit::Exit> {
    anyhow::bail!("not built yet")
}
