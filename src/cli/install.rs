//! `clipvg install HOST` / `clipvg uninstall HOST`: the command line of
//! [`clipvg::plugin::install`].

use std::path::PathBuf;

use clipvg::error::Result;
use clipvg::plugin::install::{inkscape_extension_dir, install_inkscape, own_dir, uninstall_inkscape};

/// A host the plugin can be installed into.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Host {
    /// Inkscape 1.2 or later.
    Inkscape,
}

/// `clipvg install HOST`
#[derive(clap::Args, Debug)]
pub struct InstallArgs {
    /// The editor to install the plugin into.
    #[arg(value_enum)]
    pub host: Host,
    /// Install into this folder instead of the editor's own (for Inkscape:
    /// $INKSCAPE_PROFILE_DIR/extensions/clipvg, else ~/.config/inkscape/extensions/clipvg).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// `clipvg uninstall HOST`
#[derive(clap::Args, Debug)]
pub struct UninstallArgs {
    /// The editor to remove the plugin from.
    #[arg(value_enum)]
    pub host: Host,
    /// Remove from this folder instead of the editor's own.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// `clipvg install`: installs and prints what was done.
pub fn run_install(args: &InstallArgs) -> Result<()> {
    match args.host {
        Host::Inkscape => {
            let dir = match &args.dir {
                Some(d) => d.clone(),
                None => inkscape_extension_dir()?,
            };
            let report = install_inkscape(&own_dir()?, &dir)?;
            clipvg::util::print_stdout(&report.to_text(
                "Installed the clipvg extension for Inkscape in",
                "Restart Inkscape: the commands are under Extensions ▸ CLIPVG.\n",
            ))
        }
    }
}

/// `clipvg uninstall`: uninstalls and prints what was done.
pub fn run_uninstall(args: &UninstallArgs) -> Result<()> {
    match args.host {
        Host::Inkscape => {
            let dir = match &args.dir {
                Some(d) => d.clone(),
                None => inkscape_extension_dir()?,
            };
            if !dir.exists() {
                return clipvg::util::print_stdout(&format!("Nothing to remove: {} does not exist.\n", dir.display()));
            }
            let report = uninstall_inkscape(&dir)?;
            clipvg::util::print_stdout(&report.to_text(
                "Removed the clipvg extension for Inkscape from",
                "Restart Inkscape to drop the Extensions ▸ CLIPVG commands.\n",
            ))
        }
    }
}
