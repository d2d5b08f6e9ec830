//! An alternating measurement of two sides for a shared, busy machine: the
//! sides run in turns (which goes first alternates too), so drift hits both
//! alike, and the per-round ratio is reported with its quartiles.

use std::time::{Duration, Instant};

/// `BENCH_INTERLEAVED=<seconds>`: runs sides `a` and `b` alternately for
/// that many seconds (at least 10 rounds), and prints each side's median
/// and the median and quartiles of the per-round ratio `a / b`. `time`
/// runs one side once (any set-up it does is not timed) and returns the
/// time taken. Without the variable it does nothing. With a filter that
/// matches no criterion benchmark (`-- interleaved`), only this and the
/// checks run.
pub fn interleaved(name: &str, a: &str, b: &str, mut time: impl FnMut(&str) -> Duration) {
    let Some(budget) = std::env::var("BENCH_INTERLEAVED")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|&s| s > 0.0)
        .map(Duration::from_secs_f64)
    else {
        return;
    };
    // One untimed round to warm up.
    time(a);
    time(b);
    let (mut firsts, mut seconds, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let start = Instant::now();
    while start.elapsed() < budget || ratios.len() < 10 {
        let (x, y) = if ratios.len() % 2 == 0 {
            let x = time(a);
            (x, time(b))
        } else {
            let y = time(b);
            (time(a), y)
        };
        firsts.push(x.as_secs_f64());
        seconds.push(y.as_secs_f64());
        ratios.push(x.as_secs_f64() / y.as_secs_f64());
    }
    let quantile = |v: &mut Vec<f64>, q: f64| {
        v.sort_by(f64::total_cmp);
        v[((v.len() - 1) as f64 * q).round() as usize]
    };
    let x = Duration::from_secs_f64(quantile(&mut firsts, 0.5));
    let y = Duration::from_secs_f64(quantile(&mut seconds, 0.5));
    println!(
        "{name}/interleaved: {rounds} rounds, median {a} {x:.2?}, {b} {y:.2?}; \
         {a} / {b} per round: median {:.3}, quartiles {:.3} – {:.3}",
        quantile(&mut ratios, 0.5),
        quantile(&mut ratios, 0.25),
        quantile(&mut ratios, 0.75),
        rounds = ratios.len(),
    );
}
