//! Sorts that count or report every pair whose order they flip: slope selection enumerates
//! the slopes between two thresholds with the first, and [`super::key_order`] falls back
//! on the second to count inversions.

/// Sorts `items` so that `before(a, b)` holds for no later `a` and earlier `b` (`before`
/// must be a strict weak order; equal items keep their order), by insertion. Each time an
/// item moves ahead of items it used to follow, `flipped(passed, item)` is called with
/// those items; returning `false` stops the sort early (the order is then partial) and
/// makes it return `false`. O(n + flips): for items nearly in order.
pub fn insert_reporting_flips<T: Copy>(
    items: &mut [T],
    before: &impl Fn(&T, &T) -> bool,
    flipped: &mut impl FnMut(&[T], T) -> bool,
) -> bool {
    for i in 1..items.len() {
        let item = items[i];
        let mut j = i;
        // Shifting as it compares: a call to copy the few passed items would cost more.
        while j > 0 && before(&item, &items[j - 1]) {
            items[j] = items[j - 1];
            j -= 1;
        }
        if j < i {
            items[j] = item;
            if !flipped(&items[j + 1..=i], item) {
                return false;
            }
        }
    }
    true
}

const INSERTION_BELOW: usize = 16;

/// Sorts `items` like [`insert_reporting_flips`], by merging, and returns how many pairs
/// changed their relative order, without reporting them. The merge steps choose without
/// branching, so an unpredictable order (the usual case) costs no mispredictions.
pub fn sort_counting_flips<T: Copy>(items: &mut [T], before: &impl Fn(&T, &T) -> bool) -> u64 {
    let Some(&first) = items.first() else {
        return 0;
    };
    let mut buffer = vec![first; items.len()];
    count(items, &mut buffer, before)
}

fn count<T: Copy>(items: &mut [T], buffer: &mut [T], before: &impl Fn(&T, &T) -> bool) -> u64 {
    let n = items.len();
    if n <= INSERTION_BELOW {
        let mut flips = 0;
        insert_reporting_flips(items, before, &mut |passed, _| {
            flips += passed.len() as u64;
            true
        });
        return flips;
    }
    let mid = n / 2;
    let mut flips = {
        let (left, right) = items.split_at_mut(mid);
        let (left_buffer, right_buffer) = buffer.split_at_mut(mid);
        count(left, left_buffer, before) + count(right, right_buffer, before)
    };
    let (mut i, mut j, mut k) = (0, mid, 0);
    while i < mid && j < n {
        let right_first = before(&items[j], &items[i]);
        buffer[k] = if right_first { items[j] } else { items[i] };
        flips += u64::from(right_first) * (mid - i) as u64;
        j += usize::from(right_first);
        i += usize::from(!right_first);
        k += 1;
    }
    buffer[k..k + mid - i].copy_from_slice(&items[i..mid]);
    k += mid - i;
    buffer[k..k + n - j].copy_from_slice(&items[j..n]);
    items.copy_from_slice(&buffer[..n]);
    flips
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every flipped pair is reported exactly once, for runs above and below the
    /// insertion-sort size, and several merge levels deep.
    #[test]
    fn reports_exactly_the_inverted_pairs() {
        for n in [0, 1, 5, 16, 17, 40, 67, 300] {
            let values: Vec<u32> = (0..n).map(|i| (i * 7919) % 13).collect();
            let mut expected = Vec::new();
            for i in 0..values.len() {
                for j in i + 1..values.len() {
                    if values[j] < values[i] {
                        expected.push((values[i], values[j]));
                    }
                }
            }
            expected.sort_unstable();
            let mut sorted = values.clone();
            let mut reported = Vec::new();
            assert!(insert_reporting_flips(
                &mut sorted,
                &|a, b| a < b,
                &mut |passed: &[u32], item| {
                    reported.extend(passed.iter().map(|p| (*p, item)));
                    true
                }
            ));
            reported.sort_unstable();
            assert_eq!(reported, expected, "n = {n}");
            assert!(sorted.windows(2).all(|w| w[0] <= w[1]));
        }
    }

    #[test]
    fn counting_agrees_with_reporting() {
        for n in [0, 1, 5, 16, 17, 40, 300] {
            let values: Vec<u32> = (0..n).map(|i| (i * 7919 + 13) % 29).collect();
            let mut reported = 0;
            let mut by_report = values.clone();
            insert_reporting_flips(&mut by_report, &|a, b| a < b, &mut |passed, _| {
                reported += passed.len() as u64;
                true
            });
            let mut by_count = values.clone();
            assert_eq!(
                sort_counting_flips(&mut by_count, &|a, b| a < b),
                reported,
                "n = {n}"
            );
            assert_eq!(by_count, by_report);
        }
    }

    #[test]
    fn stops_when_asked() {
        let mut calls = 0;
        let mut stop = |_: &[i32], _| {
            calls += 1;
            false
        };
        let mut items = [3, 2, 1];
        assert!(!insert_reporting_flips(
            &mut items,
            &|a, b| a < b,
            &mut stop
        ));
        assert_eq!(calls, 1);
        // Stopped after the first move, the items are still all there.
        assert_eq!(items, [2, 3, 1]);
    }
}
