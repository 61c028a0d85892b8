//! Bounds-checked little-endian reader over a byte slice.

use crate::error::DecodeError;

/// A read position over a borrowed buffer. Every read is bounds-checked and
/// returns a [`DecodeError`] naming the offset instead of panicking.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Added to positions in error messages (offset of `buf` in its event).
    base: usize,
}

pub(crate) type DResult<T> = Result<T, DecodeError>;

impl<'a> Cursor<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Cursor {
            buf,
            pos: 0,
            base: 0,
        }
    }

    pub(crate) fn with_base(buf: &'a [u8], base: usize) -> Self {
        Cursor { buf, pos: 0, base }
    }

    #[inline]
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn abs_pos(&self) -> usize {
        self.base.saturating_add(self.pos)
    }

    #[inline]
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    pub(crate) fn err(&self, reason: impl Into<String>) -> DecodeError {
        DecodeError::new(self.abs_pos(), reason)
    }

    #[inline]
    pub(crate) fn take(&mut self, n: usize) -> DResult<&'a [u8]> {
        match self
            .pos
            .checked_add(n)
            .and_then(|end| Some((end, self.buf.get(self.pos..end)?)))
        {
            Some((end, s)) => {
                self.pos = end;
                Ok(s)
            }
            None => Err(self.short(n)),
        }
    }

    /// The error of a read of `n` bytes past the end (kept out of the hot path).
    #[cold]
    #[inline(never)]
    fn short(&self, n: usize) -> DecodeError {
        if self.pos.checked_add(n).is_none() {
            return self.err("length overflow");
        }
        self.err(format!(
            "needs {n} bytes but only {} remain",
            self.remaining()
        ))
    }

    #[inline]
    pub(crate) fn skip(&mut self, n: usize) -> DResult<()> {
        self.take(n).map(|_| ())
    }

    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let s = self.buf.get(self.pos..).unwrap_or(&[]);
        self.pos = self.buf.len();
        s
    }

    #[inline]
    pub(crate) fn u8(&mut self) -> DResult<u8> {
        let [b] = self.array::<1>()?;
        Ok(b)
    }

    #[inline]
    pub(crate) fn array<const N: usize>(&mut self) -> DResult<[u8; N]> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    #[inline]
    pub(crate) fn u16(&mut self) -> DResult<u16> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    #[inline]
    pub(crate) fn u32(&mut self) -> DResult<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    #[inline]
    pub(crate) fn u64(&mut self) -> DResult<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// Little-endian unsigned integer of `n` (0..=8) bytes.
    #[inline]
    pub(crate) fn uint_le(&mut self, n: usize) -> DResult<u64> {
        if n > 8 {
            return Err(self.err(format!("integer width {n} > 8")));
        }
        Ok(le_uint(self.take(n)?))
    }

    /// Big-endian unsigned integer of `n` (0..=8) bytes.
    pub(crate) fn uint_be(&mut self, n: usize) -> DResult<u64> {
        if n > 8 {
            return Err(self.err(format!("integer width {n} > 8")));
        }
        Ok(be_uint(self.take(n)?))
    }

    /// MySQL length-encoded ("packed") integer.
    pub(crate) fn packed(&mut self) -> DResult<u64> {
        let first = self.u8()?;
        match first {
            0..=250 => Ok(u64::from(first)),
            251 => Err(self.err("unexpected NULL marker 0xfb in packed integer")),
            252 => self.uint_le(2),
            253 => self.uint_le(3),
            254 => self.u64(),
            255 => Err(self.err("invalid packed integer prefix 0xff")),
        }
    }

    /// Packed integer converted to a length bounded by the bytes left.
    pub(crate) fn packed_len(&mut self) -> DResult<usize> {
        let v = self.packed()?;
        let n = usize::try_from(v).map_err(|_| self.err("length does not fit in memory"))?;
        if n > self.remaining() {
            return Err(self.err(format!(
                "length {n} exceeds the {} bytes remaining",
                self.remaining()
            )));
        }
        Ok(n)
    }
}

impl<'a> Cursor<'a> {
    /// A length-encoded count of columns: a count of bits in the bitmaps that
    /// follow, not of bytes, so it is bounded by the server's column limit
    /// rather than by the bytes remaining (a narrow row of a wide table is
    /// shorter than its column count).
    pub(crate) fn packed_column_count(&mut self) -> DResult<usize> {
        let v = self.packed()?;
        match usize::try_from(v) {
            Ok(n) if n <= crate::table_map::MAX_COLUMNS => Ok(n),
            _ => Err(self.err(format!(
                "rows event has {v} columns, more than the server limit {}",
                crate::table_map::MAX_COLUMNS
            ))),
        }
    }
}

pub(crate) fn le_uint(s: &[u8]) -> u64 {
    match *s {
        [a] => u64::from(a),
        [a, b] => u64::from(u16::from_le_bytes([a, b])),
        [a, b, c, d] => u64::from(u32::from_le_bytes([a, b, c, d])),
        _ => s
            .iter()
            .rev()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)),
    }
}

pub(crate) fn be_uint(s: &[u8]) -> u64 {
    s.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
}

/// Count of set bits among the first `n` bits of a bitmap (LSB-first).
pub(crate) fn bit_is_set(bitmap: &[u8], i: usize) -> bool {
    bitmap
        .get(i / 8)
        .map(|b| b & (1 << (i % 8)) != 0)
        .unwrap_or(false)
}

pub(crate) fn bits_set(bitmap: &[u8], n: usize) -> usize {
    let full = n / 8;
    let whole: usize = bitmap
        .iter()
        .take(full)
        .map(|b| b.count_ones() as usize)
        .sum();
    let rest = n % 8;
    let last = match bitmap.get(full) {
        Some(b) if rest > 0 => (b & ((1u8 << rest) - 1)).count_ones() as usize,
        _ => 0,
    };
    whole + last
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    #[test]
    fn packed_ints() {
        let mut c = Cursor::new(&[5, 252, 1, 2, 253, 1, 2, 3, 254, 1, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(c.packed().unwrap(), 5);
        assert_eq!(c.packed().unwrap(), 0x0201);
        assert_eq!(c.packed().unwrap(), 0x030201);
        assert_eq!(c.packed().unwrap(), 1);
        assert!(c.packed().is_err());
    }

    #[test]
    fn little_endian_widths() {
        let bytes = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08];
        for n in 0..=8 {
            let slow = bytes[..n]
                .iter()
                .rev()
                .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
            assert_eq!(le_uint(&bytes[..n]), slow, "{n}");
        }
    }

    #[test]
    fn bit_counts() {
        let map = [0b1011_0101u8, 0xff, 0b0000_0111];
        for n in 0..=30 {
            let slow = (0..n).filter(|&i| bit_is_set(&map, i)).count();
            assert_eq!(bits_set(&map, n), slow, "{n}");
        }
    }

    #[test]
    fn take_out_of_bounds_is_error() {
        let mut c = Cursor::new(&[1, 2, 3]);
        assert!(c.take(4).is_err());
        assert_eq!(c.take(3).unwrap(), &[1, 2, 3]);
        assert!(c.u8().is_err());
        assert!(c.take(usize::MAX).is_err());
    }
}
