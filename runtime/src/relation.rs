//! [`Relation`]: what an operator produced — partitions in memory, or partitions in
//! spill files when it did not fit the memory budget (a sort of more rows than the
//! budget holds). Pipelines and sinks stream either kind batch by batch; an operator
//! that needs its input in memory loads it ([`Relation::load`]).

use crate::error::RunResult;
use crate::partitions::Partitions;
use crate::spill::SpilledRelation;
use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub enum Relation {
    Memory(Arc<Partitions>),
    Spilled(Arc<SpilledRelation>),
}

impl Relation {
    pub fn schema(&self) -> &SchemaRef {
        match self {
            Relation::Memory(p) => &p.schema,
            Relation::Spilled(s) => &s.schema,
        }
    }

    pub fn num_rows(&self) -> usize {
        match self {
            Relation::Memory(p) => p.num_rows(),
            Relation::Spilled(s) => s.num_rows(),
        }
    }

    /// Every batch, in row order; spilled ones are read one at a time.
    pub fn batches(&self) -> Box<dyn Iterator<Item = RunResult<RecordBatch>> + '_> {
        match self {
            Relation::Memory(p) => Box::new(p.batches().cloned().map(Ok)),
            Relation::Spilled(s) => Box::new((0..s.parts.len()).flat_map(|i| {
                let batches: Box<dyn Iterator<Item = RunResult<RecordBatch>>> = match s.read(i) {
                    Ok(b) => Box::new(b),
                    Err(e) => Box::new(std::iter::once(Err(e))),
                };
                batches
            })),
        }
    }

    /// The columns `indices`, in that order.
    pub fn project(&self, indices: &[usize]) -> RunResult<Relation> {
        Ok(match self {
            Relation::Memory(p) => {
                let schema = Arc::new(p.schema.project(indices)?);
                let parts = p
                    .parts
                    .iter()
                    .map(|part| part.iter().map(|b| b.project(indices)).collect())
                    .collect::<Result<Vec<Vec<RecordBatch>>, _>>()?;
                Relation::Memory(Arc::new(Partitions::new(schema, parts)))
            }
            Relation::Spilled(s) => Relation::Spilled(Arc::new(s.project(indices)?)),
        })
    }

    /// The rows in memory.
    pub fn load(&self) -> RunResult<Arc<Partitions>> {
        match self {
            Relation::Memory(p) => Ok(p.clone()),
            Relation::Spilled(s) => {
                let mut parts = Vec::with_capacity(s.parts.len());
                for i in 0..s.parts.len() {
                    parts.push(s.read(i)?.collect::<RunResult<Vec<_>>>()?);
                }
                Ok(Arc::new(Partitions::new(s.schema.clone(), parts)))
            }
        }
    }
}

impl From<Partitions> for Relation {
    fn from(p: Partitions) -> Relation {
        Relation::Memory(Arc::new(p))
    }
}
