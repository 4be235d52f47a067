// Real serde_json (Debian's 1.0.87 source, optionally patched): each stdin line is parsed as
// a serde_json::Value (deserialize_any, as serde's flatten buffering does).
use std::io::{self, BufRead, Write};
fn main() {
    let stdin = io::stdin();
    let mut out = io::BufWriter::with_capacity(1 << 20, io::stdout().lock());
    for line in stdin.lock().split(b'\n') {
        let line = line.unwrap();
        let s = std::str::from_utf8(&line).unwrap();
        let res = match serde_json::from_str::<serde_json::Value>(s) {
            Ok(serde_json::Value::Number(n)) => {
                if let Some(u) = n.as_u64() {
                    format!("U\t{:016x}", u)
                } else if let Some(i) = n.as_i64() {
                    format!("I\t{:016x}", i as u64)
                } else {
                    format!("F\t{:016x}", n.as_f64().unwrap().to_bits())
                }
            }
            Ok(_) => "E\tnot-a-number".to_string(),
            Err(e) => {
                let m = e.to_string();
                if m.starts_with("number out of range") {
                    "R\t0000000000000000".to_string()
                } else {
                    format!("E\t{}", m.split(" at line").next().unwrap())
                }
            }
        };
        out.write_all(&line).unwrap();
        writeln!(out, "\t{}", res).unwrap();
    }
}
