//! The one place where Sluice runs machine code it generated: building kernels with
//! cranelift-jit, and calling them on buffers checked to be large enough.
#![allow(unsafe_code)]

use super::lanes;
use super::program::StageProgram;
use super::translate::{INPUT_WORDS, OUTPUT_WORDS, translate};
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{Linkage, Module};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

type KernelFn = unsafe extern "C" fn(*const u64, *const u64, *mut u32, u64) -> u64;

/// One input column as the kernel reads it: slices of a valid Arrow array, already
/// moved to the array's offset, plus bit offsets for bitmaps.
#[derive(Clone, Copy, Debug)]
pub enum InputView<'a> {
    /// 8-byte values (int64, float64, timestamp, duration) or 4-byte ones (date).
    Fixed {
        values: &'a [u8],
        width: usize,
        validity: &'a [u8],
        validity_offset: usize,
    },
    Bool {
        values: &'a [u8],
        values_offset: usize,
        validity: &'a [u8],
        validity_offset: usize,
    },
    /// A string column: `offsets` holds `rows + 1` entries into `bytes`.
    Str {
        offsets: &'a [i32],
        bytes: &'a [u8],
        validity: &'a [u8],
        validity_offset: usize,
    },
}

/// The buffers a kernel writes one computed value into (one entry per row).
#[derive(Clone, Debug)]
pub enum OutputBuffer {
    Int(Vec<i64>),
    Float(Vec<f64>),
    Bool(Vec<u8>),
}

impl OutputBuffer {
    fn rows(&self) -> usize {
        match self {
            OutputBuffer::Int(v) => v.len(),
            OutputBuffer::Float(v) => v.len(),
            OutputBuffer::Bool(v) => v.len(),
        }
    }

    fn ptr(&mut self) -> u64 {
        match self {
            OutputBuffer::Int(v) => v.as_mut_ptr() as u64,
            OutputBuffer::Float(v) => v.as_mut_ptr() as u64,
            OutputBuffer::Bool(v) => v.as_mut_ptr() as u64,
        }
    }
}

/// A compiled kernel. The module owning its code lives as long as it does.
pub struct Kernel {
    module: Option<JITModule>,
    function: KernelFn,
    pub compile_time: Duration,
    /// Whether its first loop takes two rows at a time (`f64x2`).
    pub two_lanes: bool,
}

impl std::fmt::Debug for Kernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kernel")
            .field("compile_time", &self.compile_time)
            .finish_non_exhaustive()
    }
}

// SAFETY: the code behind `function` is immutable once finalized and reads only what
// each call passes; the module is never used again except to be freed on drop.
unsafe impl Send for Kernel {}
// SAFETY: as above; calls share nothing.
unsafe impl Sync for Kernel {}

impl Drop for Kernel {
    fn drop(&mut self) {
        if let Some(module) = self.module.take() {
            // SAFETY: the kernel is being dropped, so `function` can no longer be called.
            unsafe { module.free_memory() };
        }
    }
}

/// The Cranelift IR of a stage program's kernel, as text (for snapshots and reading).
pub fn clif(program: &StageProgram) -> Result<String, String> {
    Ok(
        translate(program, host_isa()?.as_ref(), lanes::eligible(program))?
            .display()
            .to_string(),
    )
}

/// The target: this CPU, with every extension it has; built once per process.
fn host_isa() -> Result<OwnedTargetIsa, String> {
    static ISA: OnceLock<Result<OwnedTargetIsa, String>> = OnceLock::new();
    ISA.get_or_init(|| {
        let mut flags = settings::builder();
        flags.set("opt_level", "speed").map_err(|e| e.to_string())?;
        flags
            .set("use_colocated_libcalls", "false")
            .map_err(|e| e.to_string())?;
        flags.set("is_pic", "false").map_err(|e| e.to_string())?;
        // `compile` verifies each function itself in debug builds; Cranelift's own
        // check on every compile would cost a fifth of the compile time again.
        flags
            .set("enable_verifier", "false")
            .map_err(|e| e.to_string())?;
        cranelift_native::builder()
            .map_err(|e| format!("this CPU is not supported by Cranelift: {e}"))?
            .finish(settings::Flags::new(flags))
            .map_err(|e| e.to_string())
    })
    .clone()
}

/// Compiles a stage program to machine code for this CPU, two rows at a time where
/// the program is in the two-lane subset (and the CPU has the vector instructions).
pub fn compile(program: &StageProgram) -> Result<Kernel, String> {
    if lanes::eligible(program)
        && let Ok(kernel) = compile_with(program, true)
    {
        return Ok(kernel);
    }
    compile_with(program, false)
}

/// Compiles a stage program with or without the two-lane loop (`two_lanes` needs a
/// program [`lanes::eligible`]).
pub fn compile_with(program: &StageProgram, two_lanes: bool) -> Result<Kernel, String> {
    let started = Instant::now();
    let isa = host_isa()?;
    let func = translate(program, isa.as_ref(), two_lanes)?;
    if cfg!(debug_assertions) {
        cranelift_codegen::verify_function(&func, isa.flags()).map_err(|e| {
            format!(
                "internal: the kernel does not verify: {e}\n{}",
                func.display()
            )
        })?;
    }
    let mut module = JITModule::new(JITBuilder::with_isa(
        isa,
        cranelift_module::default_libcall_names(),
    ));
    let id = module
        .declare_function("kernel", Linkage::Export, &func.signature)
        .map_err(|e| e.to_string())?;
    let mut ctx = module.make_context();
    ctx.func = func;
    module
        .define_function(id, &mut ctx)
        .map_err(|e| format!("cannot compile the kernel: {e:?}"))?;
    module.finalize_definitions().map_err(|e| e.to_string())?;
    let code = module.get_finalized_function(id);
    // SAFETY: `code` is the finalized entry of a function built with exactly the
    // signature of `KernelFn` (four i64 parameters, one i64 result, native call conv).
    let function = unsafe { std::mem::transmute::<*const u8, KernelFn>(code) };
    Ok(Kernel {
        module: Some(module),
        function,
        compile_time: started.elapsed(),
        two_lanes,
    })
}

fn bits_cover(bitmap: &[u8], offset: usize, rows: usize) -> bool {
    rows == 0 || (offset + rows).div_ceil(8) <= bitmap.len()
}

impl Kernel {
    /// Runs the kernel over `rows` rows. `outputs` must hold one buffer per computed
    /// value (each at least `rows` long) with its validity, `selection` at least `rows`
    /// entries. Returns how many rows passed; their values are at the front.
    pub fn run(
        &self,
        inputs: &[InputView<'_>],
        outputs: &mut [(OutputBuffer, Vec<u8>)],
        selection: &mut [u32],
        rows: usize,
    ) -> Result<usize, String> {
        let mut words: Vec<u64> = Vec::with_capacity(inputs.len() * INPUT_WORDS);
        for input in inputs {
            let ok = match input {
                InputView::Fixed {
                    values,
                    width,
                    validity,
                    validity_offset,
                } => {
                    words.extend([values.as_ptr() as u64, 0, 0]);
                    words.extend([validity.as_ptr() as u64, *validity_offset as u64]);
                    values.len() >= rows * width && bits_cover(validity, *validity_offset, rows)
                }
                InputView::Bool {
                    values,
                    values_offset,
                    validity,
                    validity_offset,
                } => {
                    words.extend([values.as_ptr() as u64, 0, *values_offset as u64]);
                    words.extend([validity.as_ptr() as u64, *validity_offset as u64]);
                    bits_cover(values, *values_offset, rows)
                        && bits_cover(validity, *validity_offset, rows)
                }
                InputView::Str {
                    offsets,
                    bytes,
                    validity,
                    validity_offset,
                } => {
                    words.extend([offsets.as_ptr() as u64, bytes.as_ptr() as u64, 0]);
                    words.extend([validity.as_ptr() as u64, *validity_offset as u64]);
                    offsets.len() > rows
                        && offsets[..=rows]
                            .iter()
                            .all(|o| *o >= 0 && (*o as usize) <= bytes.len())
                        && bits_cover(validity, *validity_offset, rows)
                }
            };
            if !ok {
                return Err("internal: a kernel input is shorter than the batch".into());
            }
        }
        let mut out_words: Vec<u64> = Vec::with_capacity(outputs.len() * OUTPUT_WORDS);
        for (values, validity) in outputs.iter_mut() {
            if values.rows() < rows || validity.len() < rows {
                return Err("internal: a kernel output is shorter than the batch".into());
            }
            out_words.push(values.ptr());
            out_words.push(validity.as_mut_ptr() as u64);
        }
        if selection.len() < rows {
            return Err("internal: the selection is shorter than the batch".into());
        }
        // SAFETY: every pointer comes from a live slice checked above to cover `rows`
        // rows as the kernel reads or writes them (`translate` documents the layout);
        // string offsets were checked to stay within their bytes, so the byte loads the
        // kernel makes (only when a string is long enough) stay in bounds.
        let passed = unsafe {
            (self.function)(
                words.as_ptr(),
                out_words.as_ptr(),
                selection.as_mut_ptr(),
                rows as u64,
            )
        };
        Ok(passed as usize)
    }
}
