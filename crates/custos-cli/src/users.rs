//! `custos users`: the people who sign in to the console (not API keys), as an admin keeps
//! them. A password, and a second factor's secret, are printed once, on standard output.

use anyhow::{Result, bail};
use clap::Subcommand;
use custos_app::keys::Role;
use custos_app::users::Credentials;

use crate::app::App;
use crate::cli_actor;
use crate::out::{Table, day, day_or_dash, print_json};

#[derive(Debug, Subcommand)]
pub enum UsersCmd {
    /// Create a console user with a fresh password (and a TOTP second factor, required for
    /// compliance_officer and admin).
    Create {
        #[arg(long)]
        email: String,
        /// integrator, reviewer, compliance_officer, auditor or admin.
        #[arg(long)]
        role: String,
        /// Give a second factor to a role that does not require one.
        #[arg(long)]
        totp: bool,
        #[arg(long)]
        json: bool,
    },
    /// Every console user.
    #[command(visible_alias = "list")]
    Ls {
        #[arg(long)]
        json: bool,
    },
    /// Disable a user: its sessions end at once and it cannot sign in.
    Disable { email: String },
    /// Give a user a fresh password (printed once); its sessions end.
    ResetPassword {
        email: String,
        /// Give it a fresh second factor too.
        #[arg(long)]
        totp: bool,
        #[arg(long)]
        json: bool,
    },
    /// Change a user's role; its sessions end.
    SetRole {
        email: String,
        #[arg(long)]
        role: String,
    },
}

/// A role a person may have (a reseller works by its API key).
fn role(s: &str) -> Result<Role> {
    match Role::parse(s) {
        Some(r) if r.for_people() => Ok(r),
        _ => bail!(
            "--role must be one of integrator, reviewer, compliance_officer, auditor, admin \
             (a reseller or a peer works through its API key)"
        ),
    }
}

fn print_credentials(c: &Credentials, json: bool) -> Result<()> {
    if json {
        return print_json(c);
    }
    eprintln!(
        "console user {} ({}); the password{} shown only now:",
        c.user.email,
        c.user.role.as_str(),
        if c.totp_secret.is_some() {
            " and the TOTP secret are"
        } else {
            " is"
        }
    );
    println!("password: {}", c.password);
    if let (Some(s), Some(u)) = (&c.totp_secret, &c.totp_uri) {
        println!("totp: {s}");
        println!("totp uri: {u}");
    }
    Ok(())
}

pub async fn run(app: &App, cmd: UsersCmd) -> Result<()> {
    let s = &app.service;
    let actor = cli_actor();
    match cmd {
        UsersCmd::Create {
            email,
            role: r,
            totp,
            json,
        } => {
            let c = s.create_user(&actor, &email, role(&r)?, totp).await?;
            print_credentials(&c, json)?;
        }
        UsersCmd::Ls { json } => {
            let all = s.users().await?;
            if json {
                return print_json(&all);
            }
            let mut t = Table::new(&["EMAIL", "ROLE", "TOTP", "CREATED", "DISABLED"]);
            for u in all {
                t.row(vec![
                    u.email,
                    u.role.as_str().to_owned(),
                    if u.totp { "yes" } else { "no" }.to_owned(),
                    day(u.created_at),
                    day_or_dash(u.disabled_at),
                ]);
            }
            t.print("no console user")?;
        }
        UsersCmd::Disable { email } => {
            let u = s.disable_user(&actor, &email).await?;
            println!("disabled {}; its sessions are over", u.email);
        }
        UsersCmd::ResetPassword { email, totp, json } => {
            let c = s.reset_password(&actor, &email, totp).await?;
            print_credentials(&c, json)?;
        }
        UsersCmd::SetRole { email, role: r } => {
            let (u, fresh) = s.set_user_role(&actor, &email, role(&r)?).await?;
            println!(
                "{} is now {}; its sessions are over",
                u.email,
                u.role.as_str()
            );
            if let Some(secret) = fresh {
                eprintln!("the role needs a second factor; its TOTP secret is shown only now:");
                println!("totp: {secret}");
            }
        }
    }
    Ok(())
}
