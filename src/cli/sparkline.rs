//! Sparklines: a series drawn in one line of block characters, for terminal output.

const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// Draws `values` in at most `width` characters: consecutive buckets are averaged into one
/// character, the lowest value is `▁` and the highest `█`, and a character whose buckets
/// all lack data is a space.
pub fn sparkline(values: &[Option<f64>], width: usize) -> String {
    if values.is_empty() || width == 0 {
        return String::new();
    }
    let per_char = values.len().div_ceil(width);
    let points: Vec<Option<f64>> = values
        .chunks(per_char)
        .map(|chunk| {
            let present: Vec<f64> = chunk.iter().flatten().copied().collect();
            (!present.is_empty()).then(|| present.iter().sum::<f64>() / present.len() as f64)
        })
        .collect();
    let (low, high) = points
        .iter()
        .flatten()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(low, high), v| {
            (low.min(*v), high.max(*v))
        });
    points
        .iter()
        .map(|point| match point {
            None => ' ',
            Some(_) if high <= low => BLOCKS[3],
            Some(v) => {
                let level = ((v - low) / (high - low) * 7.0).round() as usize;
                BLOCKS[level.min(7)]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rising_values_climb_the_blocks() {
        let values: Vec<Option<f64>> = (0..8).map(|i| Some(f64::from(i))).collect();
        assert_eq!(sparkline(&values, 8), "▁▂▃▄▅▆▇█");
    }

    #[test]
    fn buckets_are_averaged_to_fit_and_gaps_stay_blank() {
        let values = [Some(0.0), Some(2.0), None, None, Some(10.0), Some(10.0)];
        // Three characters: mean 1, no data, mean 10.
        assert_eq!(sparkline(&values, 3), "▁ █");
    }

    #[test]
    fn a_flat_series_is_a_flat_line() {
        assert_eq!(sparkline(&[Some(5.0); 4], 10), "▄▄▄▄");
        assert_eq!(sparkline(&[], 10), "");
        assert_eq!(sparkline(&[None, None], 10), "  ");
    }
}
