//! The group keys of a hash aggregation: each distinct key gets a dense id (0, 1, ...) in
//! order of first appearance. Keys are Arrow row-format bytes (any mix of key types; null
//! is a key like any other), stored back to back in one arena with their hashes, and
//! found through a table of ids, so a key costs its bytes plus 16 bytes, not two heap
//! allocations.

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

/// Distinct keys with dense ids.
#[derive(Default)]
pub struct GroupKeys {
    ids: HashTable<u32>,
    hashes: Vec<u64>,
    /// Key `g` is `bytes[ends[g - 1]..ends[g]]`.
    ends: Vec<usize>,
    bytes: Vec<u8>,
}

impl GroupKeys {
    /// Room for `groups` keys of `bytes` bytes in all.
    pub fn with_capacity(groups: usize, bytes: usize) -> GroupKeys {
        GroupKeys {
            ids: HashTable::with_capacity(groups),
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
        self.bytes.capacity() + self.hashes.capacity() * 16 + self.ids.capacity() * 5
    }

    /// The id of `key` (with hash `hash`), adding it when new.
    #[inline]
    pub fn intern(&mut self, key: &[u8], hash: u64) -> u32 {
        let (hashes, ends, bytes) = (&mut self.hashes, &mut self.ends, &mut self.bytes);
        let found = self.ids.find(hash, |&g| {
            let g = g as usize;
            hashes[g] == hash && {
                let start = if g == 0 { 0 } else { ends[g - 1] };
                &bytes[start..ends[g]] == key
            }
        });
        match found {
            Some(&g) => g,
            None => self.push_new(key, hash),
        }
    }

    /// Adds a key known not to be here yet; its id is the number of keys before it.
    pub fn push_new(&mut self, key: &[u8], hash: u64) -> u32 {
        let g = self.hashes.len() as u32;
        self.hashes.push(hash);
        self.bytes.extend_from_slice(key);
        self.ends.push(self.bytes.len());
        self.ids
            .insert_unique(hash, g, |&h| self.hashes[h as usize]);
        g
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
