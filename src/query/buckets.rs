//! Per-bucket values of one series, oldest first: a vector that can drop its oldest
//! values for a few moves each, amortised. A cached series slides along its grid by one
//! bucket per evaluation; moving all its values each time would make the steady cycle
//! cost as much memory traffic as the whole cache holds.
//!
//! Reads go through `Deref<Target = [T]>`, so a `Buckets` is used like a slice.

use std::fmt;
use std::ops::{Deref, DerefMut};

/// The values, kept in `data[start..]`; the dropped ones before `start` are reclaimed
/// once they are as many as the live ones or [`Buckets::RECLAIM_AFTER`], whichever is
/// fewer (so a long series never holds much more than itself).
pub struct Buckets<T> {
    data: Vec<T>,
    start: usize,
}

impl<T> Buckets<T> {
    /// Most dropped values kept before they are reclaimed.
    pub const RECLAIM_AFTER: usize = 64;

    /// Drops the `count` oldest values (all of them when there are fewer).
    pub fn drop_oldest(&mut self, count: usize) {
        self.start += count.min(self.len());
        if self.start > 0 && self.start >= self.len().min(Self::RECLAIM_AFTER) {
            self.data.drain(..self.start);
            self.start = 0;
        }
    }

    /// Keeps the `len` oldest values.
    pub fn truncate(&mut self, len: usize) {
        self.data.truncate(self.start + len);
    }

    /// Makes room to append `additional` values without moving the others.
    pub fn reserve(&mut self, additional: usize) {
        self.data.reserve(additional);
    }

    /// Appends `value`.
    pub fn push(&mut self, value: T) {
        self.data.push(value);
    }

    /// The values as a vector.
    pub fn into_vec(mut self) -> Vec<T> {
        self.data.drain(..self.start);
        self.data
    }
}

impl<T: Clone> Buckets<T> {
    /// Appends copies of `values`.
    pub fn extend_from_slice(&mut self, values: &[T]) {
        self.data.extend_from_slice(values);
    }

    /// Grows to (or shrinks to) `len` values, appending copies of `value`.
    pub fn resize(&mut self, len: usize, value: T) {
        self.data.resize(self.start + len, value);
    }
}

impl<T> Default for Buckets<T> {
    fn default() -> Self {
        Vec::new().into()
    }
}

impl<T> From<Vec<T>> for Buckets<T> {
    fn from(data: Vec<T>) -> Self {
        Buckets { data, start: 0 }
    }
}

impl<T> FromIterator<T> for Buckets<T> {
    fn from_iter<I: IntoIterator<Item = T>>(values: I) -> Self {
        Vec::from_iter(values).into()
    }
}

impl<T> Deref for Buckets<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        &self.data[self.start..]
    }
}

impl<T> DerefMut for Buckets<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.data[self.start..]
    }
}

impl<'a, T> IntoIterator for &'a Buckets<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// A clone holds only the live values.
impl<T: Clone> Clone for Buckets<T> {
    fn clone(&self) -> Self {
        self.to_vec().into()
    }
}

impl<T: fmt::Debug> fmt::Debug for Buckets<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T: PartialEq> PartialEq for Buckets<T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: PartialEq> PartialEq<Vec<T>> for Buckets<T> {
    fn eq(&self, other: &Vec<T>) -> bool {
        **self == **other
    }
}

impl<T: PartialEq, const N: usize> PartialEq<[T; N]> for Buckets<T> {
    fn eq(&self, other: &[T; N]) -> bool {
        **self == *other
    }
}

impl<T: serde::Serialize> serde::Serialize for Buckets<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_keeps_the_newest_values_in_order() {
        let mut buckets: Buckets<u32> = (0..6).collect();
        for next in 6..40 {
            buckets.drop_oldest(1);
            buckets.push(next);
            assert_eq!(*buckets, *(next - 5..=next).collect::<Vec<_>>());
        }
        // Reclaimed as it slid: never more than twice the live values.
        assert!(buckets.data.len() <= 12, "{}", buckets.data.len());
    }

    #[test]
    fn a_long_series_holds_at_most_the_reclaim_limit_more() {
        let mut buckets: Buckets<u32> = (0..300).collect();
        for next in 300..1_000 {
            buckets.drop_oldest(1);
            buckets.push(next);
            assert_eq!(buckets.first(), Some(&(next - 299)));
            assert!(buckets.data.len() <= 300 + Buckets::<u32>::RECLAIM_AFTER);
        }
        assert_eq!(*buckets, *(700..1_000).collect::<Vec<_>>());
    }

    #[test]
    fn dropping_more_than_held_empties() {
        let mut buckets: Buckets<u32> = vec![1, 2, 3].into();
        buckets.drop_oldest(5);
        assert!(buckets.is_empty());
        buckets.push(9);
        assert_eq!(buckets, [9]);
    }

    #[test]
    fn truncate_resize_and_extend_work_on_the_live_values() {
        let mut buckets: Buckets<u32> = vec![1, 2, 3, 4, 5].into();
        buckets.drop_oldest(2);
        buckets.truncate(2);
        assert_eq!(buckets, [3, 4]);
        buckets.extend_from_slice(&[7, 8]);
        buckets.resize(6, 0);
        assert_eq!(buckets, vec![3, 4, 7, 8, 0, 0]);
        buckets[0] = 30;
        assert_eq!(buckets.clone().into_vec(), vec![30, 4, 7, 8, 0, 0]);
        assert_eq!(buckets.into_vec(), vec![30, 4, 7, 8, 0, 0]);
    }

    #[test]
    fn clone_and_equality_see_only_live_values() {
        let mut slid: Buckets<u32> = vec![0, 1, 2].into();
        slid.drop_oldest(1);
        let fresh: Buckets<u32> = vec![1, 2].into();
        assert_eq!(slid, fresh);
        assert_eq!(slid.clone().data, vec![1, 2]);
        assert_eq!(format!("{slid:?}"), "[1, 2]");
    }
}
