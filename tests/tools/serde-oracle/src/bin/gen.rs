// Random JSON number literals biased toward serde_json's thresholds.
// usage: gen SEED COUNT
use std::io::{self, Write};
struct Rng(std::cell::Cell<u64>);
impl Rng {
    fn next(&self) -> u64 {
        // splitmix64
        self.0.set(self.0.get().wrapping_add(0x9E3779B97F4A7C15));
        let mut z = self.0.get();
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
        z ^ (z >> 31)
    }
    fn below(&self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&self, p: u64) -> bool {
        self.below(100) < p
    }
    fn digit(&self) -> u8 {
        b'0' + self.below(10) as u8
    }
}
const DBL_MAX: &str = concat!(
    "17976931348623157081452742373170435679807056752584499659891747680315726078002853",
    "87605895586327668781715404589535143824642343213268894641827684675467035375169860",
    "49910576551282076245490090389328944075868508455133942304583236903222948165808559",
    "332123348274797826204144723168738177180919299881250404026184124858368",
);
const THRESH: &str = concat!(
    "17976931348623158079372897140530341507993413271003782693617377898044496829276475",
    "09466490179775872070963302864166928879109465555478519404026306574886715058206819",
    "08902000708383676273854845817711531764475730270069855571366959622842914819860834",
    "936475292719074168444365510704342711559699508093042880177904174497792",
);
const U64MAX: &str = "18446744073709551615";
const I64MIN: &str = "9223372036854775808";
const MIN_SUB: &str = "49406564584124654417656879286822137236505980365";
const MIN_NORM: &str = concat!(
    "22250738585072013830902327173324040642192159804623318305533274168872044348139181",
    "95854283159012511020564067339731035811005152434161553460108856012385377718821130",
    "7779935320023304796101474425836360719215650469425037342083",
);

fn digits(r: &Rng, n: usize, out: &mut Vec<u8>) {
    for _ in 0..n {
        out.push(r.digit());
    }
}

// A digit string near `base`: a prefix of it, perturbed at one place, maybe extended.
fn near(r: &Rng, base: &str, out: &mut Vec<u8>) {
    let b = base.as_bytes();
    let len = match r.below(4) {
        0 => b.len(),
        1 => 1 + r.below(b.len() as u64) as usize,
        _ => (b.len() as i64 + r.below(9) as i64 - 4).max(1) as usize,
    };
    let start = out.len();
    for i in 0..len {
        out.push(if i < b.len() {
            b[i]
        } else {
            if r.chance(50) {
                b'0'
            } else {
                r.digit()
            }
        });
    }
    let k = r.below(3);
    for _ in 0..k {
        let p = start + r.below(len as u64) as usize;
        let d = out[p] as i32 - b'0' as i32 + (r.below(3) as i32 - 1);
        out[p] = b'0' + d.clamp(0, 9) as u8;
    }
    if out[start] == b'0' {
        out[start] = b'1';
    }
}

fn exponent(r: &Rng, center: i64, out: &mut Vec<u8>) {
    out.push(if r.chance(80) { b'e' } else { b'E' });
    let spread = [0i64, 1, 3, 20, 400][r.below(5) as usize];
    let e = center
        + if spread == 0 {
            0
        } else {
            r.below(2 * spread as u64 + 1) as i64 - spread
        };
    if e < 0 {
        out.push(b'-');
    } else if r.chance(20) {
        out.push(b'+');
    }
    for _ in 0..(if r.chance(10) { r.below(4) } else { 0 }) {
        out.push(b'0');
    }
    out.extend_from_slice(e.unsigned_abs().to_string().as_bytes());
}

fn one(r: &Rng) -> Vec<u8> {
    let mut out = Vec::new();
    if r.chance(25) {
        out.push(b'-');
    }
    match r.below(12) {
        0 => {
            // plain integer of a chosen length
            let n = [1u64, 18, 19, 20, 21, 22, 40, 308, 309, 310, 311, 330][r.below(12) as usize]
                as usize;
            out.push(b'1' + r.below(9) as u8);
            digits(r, n - 1, &mut out);
        }
        1 => near(r, U64MAX, &mut out),
        2 => near(r, I64MIN, &mut out),
        3 | 4 => {
            // near DBL_MAX / the threshold, as integer or with point/exponent
            near(r, if r.chance(50) { DBL_MAX } else { THRESH }, &mut out);
            let len = out.len() - if out[0] == b'-' { 1 } else { 0 };
            match r.below(3) {
                0 => {}
                1 => {
                    // move the point: k digits, then exponent 309-k
                    let k = 1 + r.below(len.min(40) as u64) as usize;
                    out.truncate(out.len() - len + k.min(len));
                    let frac = r.below(k as u64) as usize; // digits after the point
                    if frac > 0 {
                        let p = out.len() - frac;
                        out.insert(p, b'.');
                    }
                    exponent(r, 309 - (k as i64 - frac as i64), &mut out);
                }
                _ => {
                    let k = 1 + r.below(25) as usize;
                    out.truncate(out.len() - len + k.min(len));
                    exponent(r, 309 - k as i64, &mut out);
                }
            }
        }
        5 => {
            // tiny numbers
            let base = if r.chance(50) { MIN_SUB } else { MIN_NORM };
            let k = 1 + r.below(30) as usize;
            out.extend_from_slice(&base.as_bytes()[..k]);
            if k > 1 && r.chance(60) {
                out.insert(out.len() - k + 1, b'.');
                exponent(r, if base == MIN_SUB { -324 } else { -308 }, &mut out);
            } else {
                exponent(
                    r,
                    if base == MIN_SUB {
                        -324 - k as i64 + 1
                    } else {
                        -308 - k as i64 + 1
                    },
                    &mut out,
                );
            }
        }
        6 => {
            // fractions around the u64 overflow point
            let ip = r.below(22) as usize;
            if ip == 0 {
                out.push(b'0');
            } else {
                near(r, U64MAX, &mut out);
                let l = out.len();
                out.truncate(l - (20 - ip.min(20)).min(l - 1));
                digits(r, ip.saturating_sub(20), &mut out);
            }
            out.push(b'.');
            if r.chance(50) {
                for _ in 0..r.below(30) {
                    out.push(b'0');
                }
            }
            if r.chance(50) {
                near(r, U64MAX, &mut out);
            } else {
                digits(r, 1 + r.below(45) as usize, &mut out);
            }
            if r.chance(50) {
                exponent(r, r.below(700) as i64 - 350, &mut out);
            }
        }
        7 => {
            // exponents near i32 limits
            if r.chance(30) {
                out.push(b'0');
            } else {
                out.push(b'1' + r.below(9) as u8);
                digits(r, r.below(25) as usize, &mut out);
            }
            if r.chance(50) {
                out.push(b'.');
                if r.chance(30) {
                    for _ in 0..r.below(25) {
                        out.push(b'0');
                    }
                }
                digits(r, 1 + r.below(25) as usize, &mut out);
            }
            let c = [
                2147483647i64,
                -2147483648,
                2147483648,
                -2147483649,
                214748364,
                -214748364,
                2147483617,
                -2147483617,
            ][r.below(8) as usize];
            exponent(r, c, &mut out);
        }
        8 => {
            // zeros with huge or ordinary exponents
            out.push(b'0');
            if r.chance(60) {
                out.push(b'.');
                for _ in 0..(1 + r.below(40)) {
                    out.push(b'0');
                }
            }
            if r.chance(30) {
                digits(r, r.below(3) as usize, &mut out);
            }
            if r.chance(80) {
                exponent(
                    r,
                    [
                        0i64,
                        400,
                        -400,
                        2147483647,
                        2147483648,
                        99999999999,
                        -99999999999,
                    ][r.below(7) as usize],
                    &mut out,
                );
            }
        }
        9 => {
            // general short literal
            if r.chance(20) {
                out.push(b'0');
            } else {
                out.push(b'1' + r.below(9) as u8);
                digits(r, r.below(24) as usize, &mut out);
            }
            if r.chance(60) {
                out.push(b'.');
                digits(r, 1 + r.below(24) as usize, &mut out);
            }
            if r.chance(70) {
                exponent(r, r.below(660) as i64 - 330, &mut out);
            }
        }
        10 => {
            // long integer then fraction (the 1.0.89 case) and exponent
            near(r, U64MAX, &mut out);
            digits(r, r.below(6) as usize, &mut out);
            out.push(b'.');
            digits(r, 1 + r.below(8) as usize, &mut out);
            if r.chance(50) {
                exponent(r, r.below(640) as i64 - 320, &mut out);
            }
        }
        _ => {
            // 17-digit significands times 10^(291..292): the rounding of the last product
            out.push(b'1' + r.below(9) as u8);
            digits(r, 16 + r.below(4) as usize, &mut out);
            let l = (out.len() - if out[0] == b'-' { 1 } else { 0 }) as i64;
            exponent(r, 309 - l, &mut out);
        }
    }
    out
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let r = Rng(std::cell::Cell::new(a[1].parse().unwrap()));
    let n: u64 = a[2].parse().unwrap();
    let mut out = io::BufWriter::with_capacity(1 << 20, io::stdout().lock());
    for _ in 0..n {
        let l = one(&r);
        out.write_all(&l).unwrap();
        out.write_all(b"\n").unwrap();
    }
}
