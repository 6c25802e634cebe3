//! `dmptool health`: ask a running server's /health and exit 0 when it answers "ok" — for
//! container health checks, where there is no curl.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use super::admin::CliError;

#[derive(clap::Args, Debug)]
pub struct HealthArgs {
    /// Address of the server.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port of the server.
    #[arg(long, short = 'p', default_value_t = 5000)]
    pub port: u16,
}

pub fn run(args: &HealthArgs) -> Result<(), CliError> {
    let addr = (args.host.as_str(), args.port)
        .to_socket_addrs()
        .map_err(|e| CliError(format!("{}:{}: {e}", args.host, args.port)))?
        .next()
        .ok_or_else(|| CliError(format!("{}:{} has no address", args.host, args.port)))?;
    let timeout = Duration::from_secs(3);
    let mut stream = TcpStream::connect_timeout(&addr, timeout)
        .map_err(|e| CliError(format!("no server at {addr}: {e}")))?;
    let _ = stream.set_read_timeout(Some(timeout));
    write!(
        stream,
        "GET /health HTTP/1.0\r\nHost: {}\r\n\r\n",
        args.host
    )
    .map_err(|e| CliError(e.to_string()))?;
    let mut reply = String::new();
    stream
        .take(64 * 1024)
        .read_to_string(&mut reply)
        .map_err(|e| CliError(format!("reading the answer: {e}")))?;
    let healthy = reply.starts_with("HTTP/1.1 200") || reply.starts_with("HTTP/1.0 200");
    let body = reply.split("\r\n\r\n").nth(1).unwrap_or_default();
    if healthy && body.contains("\"status\":\"ok\"") {
        println!("{body}");
        Ok(())
    } else {
        Err(CliError(format!(
            "unhealthy: {}",
            reply.lines().next().unwrap_or("no answer")
        )))
    }
}
