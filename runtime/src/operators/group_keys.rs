//! The group keys of a hash aggregation: each distinct key gets a dense id (0, 1, ...) in
//! order of first appearance. Keys are Arrow row-format bytes (any mix of key types; null
//! is a key like any other), stored back to back in one arena. The hash table's entries
//! carry each key's first 16 bytes and its length, so a lookup of a short key (integers,
//! dates, a few columns of them) compares inside the table without touching the arena,
//! and a long one compares the arena only past its prefix.

use arrow::row::Rows;
use hashbrown::HashTable;
use std::hash::BuildHasher;

/// One hasher (seeded once per process), so every table of a run hashes a key alike
/// and tables can be split and merged by hash.
static HASHER: std::sync::LazyLock<hashbrown::DefaultHashBuilder> =
    std::sync::LazyLock::new(Default::default);

/// Hashes key bytes.
#[inline]
pub fn hash_key(bytes: &[u8]) -> u64 {
    HASHER.hash_one(bytes)
}

/// Bytes of a key kept in its table entry.
pub const PREFIX: usize = 16;

/// A key's table entry.
#[derive(Clone, Copy)]
struct Entry {
    prefix: [u8; PREFIX],
    len: u32,
    id: u32,
}

/// The key's first 16 bytes, zero-padded, copied with fixed-size moves (two that may
/// overlap) rather than a call to `memcpy` of a variable length.
#[inline]
pub fn prefix_of(key: &[u8]) -> [u8; PREFIX] {
    let mut p = [0u8; PREFIX];
    let n = key.len();
    if n >= PREFIX {
        p.copy_from_slice(&key[..PREFIX]);
    } else if n >= 8 {
        p[..8].copy_from_slice(&key[..8]);
        p[n - 8..n].copy_from_slice(&key[n - 8..n]);
    } else if n >= 4 {
        p[..4].copy_from_slice(&key[..4]);
        p[n - 4..n].copy_from_slice(&key[n - 4..n]);
    } else {
        for (i, &b) in key.iter().enumerate() {
            p[i] = b;
        }
    }
    p
}

/// Distinct keys with dense ids.
#[derive(Default)]
pub struct GroupKeys {
    entries: HashTable<Entry>,
    hashes: Vec<u64>,
    /// Key `g` is `bytes[ends[g - 1]..ends[g]]`.
    ends: Vec<usize>,
    bytes: Vec<u8>,
}

impl GroupKeys {
    /// Room for `groups` keys of `bytes` bytes in all.
    pub fn with_capacity(groups: usize, bytes: usize) -> GroupKeys {
        GroupKeys {
            entries: HashTable::with_capacity(groups),
            hashes: Vec::with_capacity(groups),
            ends: Vec::with_capacity(groups),
            bytes: Vec::with_capacity(bytes),
        }
    }

    /// The bytes of all keys.
    pub fn key_bytes(&self) -> usize {
        self.bytes.len()
    }

    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    pub fn key(&self, g: usize) -> &[u8] {
        let start = if g == 0 { 0 } else { self.ends[g - 1] };
        &self.bytes[start..self.ends[g]]
    }

    pub fn hash(&self, g: usize) -> u64 {
        self.hashes[g]
    }

    /// Bytes held, about.
    pub fn memory_size(&self) -> usize {
        self.bytes.capacity()
            + self.hashes.capacity() * 16
            + self.entries.capacity() * (size_of::<Entry>() + 1)
    }

    /// The id of `key` (with hash `hash`), if it is here.
    #[inline]
    pub fn find(&self, key: &[u8], hash: u64) -> Option<u32> {
        let prefix = prefix_of(key);
        let len = key.len() as u32;
        let (ends, bytes) = (&self.ends, &self.bytes);
        self.entries
            .find(hash, |e| {
                e.len == len
                    && e.prefix == prefix
                    && (key.len() <= PREFIX || {
                        let g = e.id as usize;
                        let start = if g == 0 { 0 } else { ends[g - 1] };
                        bytes[start + PREFIX..ends[g]] == key[PREFIX..]
                    })
            })
            .map(|e| e.id)
    }

    /// The id of `key` (with hash `hash`), adding it when new.
    #[inline]
    pub fn intern(&mut self, key: &[u8], hash: u64) -> u32 {
        match self.find(key, hash) {
            Some(id) => id,
            None => self.push_new(key, hash),
        }
    }

    /// The same keys, in the same order, hashed by this process: keys saved by another
    /// process (a stream's checkpoint) were hashed with its seed.
    pub fn rehashed(&self) -> GroupKeys {
        let mut out = GroupKeys::with_capacity(self.len(), self.key_bytes());
        for g in 0..self.len() {
            let key = self.key(g);
            out.push_new(key, hash_key(key));
        }
        out
    }

    /// Adds a key known not to be here yet; its id is the number of keys before it.
    pub fn push_new(&mut self, key: &[u8], hash: u64) -> u32 {
        let id = self.hashes.len() as u32;
        self.hashes.push(hash);
        self.bytes.extend_from_slice(key);
        self.ends.push(self.bytes.len());
        let entry = Entry {
            prefix: prefix_of(key),
            len: key.len() as u32,
            id,
        };
        let hashes = &self.hashes;
        self.entries
            .insert_unique(hash, entry, |e| hashes[e.id as usize]);
        id
    }

    /// The ids of a batch's keys, in row order, into `group_of`.
    pub fn intern_rows(&mut self, rows: &Rows, group_of: &mut Vec<u32>) {
        group_of.clear();
        group_of.reserve(rows.num_rows());
        for row in rows.iter() {
            let bytes = row.data();
            group_of.push(self.intern(bytes, hash_key(bytes)));
        }
    }
}
