//! `cargo xtask bench --compare BASE`: the scan of this tree's release build
//! against the scan of another build, on the same data, for a change that should
//! make the scan faster and change nothing else.
//!
//! A change worth a few percent drowns in this kind of machine's noise when each
//! build is timed on its own: here both builds run in turns (one warm-up each,
//! then `runs` interleaved runs), the medians of wall and CPU time are compared,
//! and the outputs of the last runs must be byte-identical.

use std::path::{Path, PathBuf};

use super::dataset::Dataset;
use super::measure::{self, Series};
use super::{scan_cmd, warm};

/// The outputs a scan writes, which two builds must agree on.
const OUTPUTS: [&str; 3] = ["conflicts.csv", "plan.jsonl", "summary.json"];

/// Times the scan of `base` and of `ours` in turns and prints their medians; an
/// error when their outputs differ.
pub fn scan(
    base: &Path,
    ours: &Path,
    data: &Dataset,
    tmp: &Path,
    runs: usize,
) -> Result<(), String> {
    let (east, west) = (&data.main_east, &data.main_west);
    let builds = [("base", base), ("this tree", ours)];
    let cmds: Vec<(PathBuf, measure::Cmd)> = builds
        .iter()
        .enumerate()
        .map(|(i, (_, binary))| {
            let out = tmp.join(format!("compare-out-{i}"));
            let name = format!("compare-{i}");
            let cmd = scan_cmd(binary, east, west, &data.main_schema, &out, tmp, &name);
            (out, cmd)
        })
        .collect();
    let all: Vec<PathBuf> = east.files.iter().chain(&west.files).cloned().collect();
    warm(&all)?;
    let mut series = vec![Series::default(); cmds.len()];
    // run 0 warms each build up and is not counted
    for run in 0..=runs {
        let mut line = Vec::new();
        for ((_, cmd), s) in cmds.iter().zip(series.iter_mut()) {
            let sample = measure::run(cmd)?;
            line.push(format!(
                "{:.2} s ({:.2} s CPU)",
                sample.wall.as_secs_f64(),
                (sample.user + sample.sys).as_secs_f64()
            ));
            if run > 0 {
                s.push(sample);
            }
        }
        let what = if run == 0 {
            "warm-up".to_owned()
        } else {
            format!("run {run}/{runs}")
        };
        eprintln!(
            "xtask: bench --compare: {what}: base {}, this tree {}",
            line[0], line[1]
        );
    }
    println!("{}", table(&builds, &series, runs));
    let differ: Vec<&str> = OUTPUTS
        .into_iter()
        .filter(|f| std::fs::read(cmds[0].0.join(f)).ok() != std::fs::read(cmds[1].0.join(f)).ok())
        .collect();
    if differ.is_empty() {
        println!("Outputs byte-identical: {}.", OUTPUTS.join(", "));
        Ok(())
    } else {
        Err(format!(
            "the two builds' outputs differ: {} (in {} and {})",
            differ.join(", "),
            cmds[0].0.display(),
            cmds[1].0.display()
        ))
    }
}

/// The medians of both builds, and the change from base to this tree.
fn table(builds: &[(&str, &Path)], series: &[Series], runs: usize) -> String {
    let secs = |d: std::time::Duration| d.as_secs_f64();
    let mut t = format!(
        "Scan, medians of {runs} interleaved runs (after one warm-up each):\n\n\
         | build | wall | CPU | peak RSS |\n|---|---|---|---|\n"
    );
    for ((name, binary), s) in builds.iter().zip(series) {
        t.push_str(&format!(
            "| {name} (`{}`) | {:.3} s | {:.3} s | {} MB |\n",
            binary.display(),
            secs(s.median()),
            secs(s.median_cpu()),
            s.max_rss_kib() / 1024
        ));
    }
    if let [base, ours] = series {
        let change = |a: f64, b: f64| if a > 0.0 { 100.0 * (b - a) / a } else { 0.0 };
        t.push_str(&format!(
            "\nThis tree against base: wall {:+.1}%, CPU {:+.1}%.",
            change(secs(base.median()), secs(ours.median())),
            change(secs(base.median_cpu()), secs(ours.median_cpu()))
        ));
    }
    t
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::bench::measure::Sample;

    #[test]
    fn the_table_gives_medians_and_the_change() {
        let series = |walls: &[u64]| {
            let mut s = Series::default();
            for &ms in walls {
                s.push(Sample {
                    wall: Duration::from_millis(ms),
                    user: Duration::from_millis(2 * ms),
                    sys: Duration::ZERO,
                    max_rss_kib: 140 * 1024,
                });
            }
            s
        };
        let t = table(
            &[("base", Path::new("/a")), ("this tree", Path::new("/b"))],
            &[series(&[2000, 2200, 2100]), series(&[1900, 1800, 1850])],
            3,
        );
        assert!(
            t.contains("| base (`/a`) | 2.100 s | 4.200 s | 140 MB |"),
            "{t}"
        );
        assert!(
            t.contains("| this tree (`/b`) | 1.850 s | 3.700 s | 140 MB |"),
            "{t}"
        );
        assert!(t.contains("wall -11.9%, CPU -11.9%"), "{t}");
    }
}
