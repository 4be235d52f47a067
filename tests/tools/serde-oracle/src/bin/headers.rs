// The reference's header schema (safetensors tensor.rs: HashMetadata with a flattened
// HashMap<String, TensorInfo>, TensorInfo, Dtype), deserialized with real serde +
// serde_json. Args: safetensors files. Prints name \t OK|ERR \t message.
use serde::Deserialize;
use std::collections::HashMap;
#[allow(dead_code)]
#[derive(Debug, Deserialize)]
struct HashMetadata {
    #[serde(rename = "__metadata__")]
    metadata: Option<HashMap<String, String>>,
    #[serde(flatten)]
    tensors: HashMap<String, TensorInfo>,
}
#[allow(dead_code)]
#[derive(Debug, Deserialize)]
struct TensorInfo {
    dtype: Dtype,
    shape: Vec<usize>,
    data_offsets: (usize, usize),
}
#[allow(dead_code, non_camel_case_types, clippy::upper_case_acronyms)]
#[derive(Debug, Deserialize)]
enum Dtype {
    BOOL,
    F4,
    F6_E2M3,
    F6_E3M2,
    U8,
    I8,
    F8_E5M2,
    F8_E4M3,
    F8_E8M0,
    F8_E4M3FNUZ,
    F8_E5M2FNUZ,
    I16,
    U16,
    F16,
    BF16,
    I32,
    U32,
    F32,
    C64,
    F64,
    I64,
    U64,
}
fn main() {
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path).unwrap();
        if bytes.len() < 8 {
            println!("{}\tSKIP\tshort", path);
            continue;
        }
        let n = u64::from_le_bytes(bytes[..8].try_into().unwrap());
        if n > 100_000_000 || 8 + n as usize > bytes.len() {
            println!("{}\tSKIP\tlength", path);
            continue;
        }
        let header = match std::str::from_utf8(&bytes[8..8 + n as usize]) {
            Ok(h) => h,
            Err(_) => {
                println!("{}\tSKIP\tutf8", path);
                continue;
            }
        };
        match serde_json::from_str::<HashMetadata>(header) {
            Ok(m) => println!("{}\tOK\t{} tensors", path, m.tensors.len()),
            Err(e) => println!("{}\tERR\t{}", path, e),
        }
    }
}
