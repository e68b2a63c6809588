//! Weight tensors: a shape, a flat row-major buffer, and whether training moves it.

/// Where a tensor's numbers live: in the binary (`&'static`, for embedded
/// weights) or on the heap (with the `std` feature only). Writing to a
/// static tensor copies it first.
#[derive(Debug, Clone)]
pub enum Storage {
    /// Borrowed for the whole program, e.g. weights baked in at compile time.
    Static(&'static [f32]),
    /// Owned on the heap.
    #[cfg(feature = "std")]
    Owned(Box<[f32]>),
}

/// One weight tensor of a layer (Keras's `kernel`, `bias`, `gamma`, ...).
#[derive(Debug, Clone)]
pub struct Param {
    shape: &'static [usize],
    data: Storage,
    /// Whether optimizers update it (Keras's `trainable`); statistics never are.
    pub trainable: bool,
    /// A statistic that training moves by itself (BatchNorm's moving mean),
    /// never by an optimizer, whatever `trainable` is set to.
    statistic: bool,
    /// A penalty training adds to the loss while the tensor is trainable
    /// (Keras's `kernel_regularizer`, `bias_regularizer`).
    pub regularizer: Option<crate::regularizers::Regularizer>,
    /// A projection applied after every optimizer step that moves the tensor
    /// (Keras's `kernel_constraint`, `bias_constraint`).
    pub constraint: Option<crate::constraints::Constraint>,
}

impl Param {
    /// A tensor of `shape` filled with `value`.
    #[cfg(feature = "std")]
    pub fn filled(shape: &'static [usize], value: f32, trainable: bool) -> Self {
        let n = shape.iter().product();
        Param {
            shape,
            data: Storage::Owned(vec![value; n].into_boxed_slice()),
            trainable,
            statistic: false,
            regularizer: None,
            constraint: None,
        }
    }

    /// A tensor of `shape` over `data`; the length must equal the shape's product.
    #[cfg(feature = "std")]
    pub fn from_vec(shape: &'static [usize], data: Vec<f32>, trainable: bool) -> Self {
        assert_eq!(data.len(), shape.iter().product::<usize>(), "tensor length vs shape");
        Param {
            shape,
            data: Storage::Owned(data.into_boxed_slice()),
            trainable,
            statistic: false,
            regularizer: None,
            constraint: None,
        }
    }

    /// A tensor over numbers that live for the whole program (no copy, no allocation).
    pub const fn from_static(shape: &'static [usize], data: &'static [f32], trainable: bool) -> Self {
        Param { shape, data: Storage::Static(data), trainable, statistic: false, regularizer: None, constraint: None }
    }

    /// The same tensor marked as a statistic: never trainable, moved by its
    /// layer's training pass itself (BatchNorm's moving mean and variance).
    pub const fn into_statistic(mut self) -> Self {
        self.trainable = false;
        self.statistic = true;
        self
    }

    /// Whether it is a statistic (see [`Param::into_statistic`]): optimizers never update it.
    pub fn is_statistic(&self) -> bool {
        self.statistic
    }

    /// The tensor's shape (Keras's layout).
    pub fn shape(&self) -> &'static [usize] {
        self.shape
    }

    /// The numbers, row-major.
    pub fn as_slice(&self) -> &[f32] {
        match &self.data {
            Storage::Static(s) => s,
            #[cfg(feature = "std")]
            Storage::Owned(b) => b,
        }
    }

    /// The numbers, writable; a static tensor is copied to the heap first.
    #[cfg(feature = "std")]
    pub fn as_mut_slice(&mut self) -> &mut [f32] {
        if let Storage::Static(s) = self.data {
            self.data = Storage::Owned(s.to_vec().into_boxed_slice());
        }
        match &mut self.data {
            Storage::Owned(b) => b,
            Storage::Static(_) => unreachable!("static storage was just copied"),
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// Whether the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Bytes aligned for `f32`: the wrapper `sequential!`'s `#[weights = ".."]`
/// puts around the `include_bytes!` of a weights file, so that each tensor
/// can be viewed in place as `&'static [f32]` (no copy, no allocation).
#[repr(C, align(4))]
pub struct Aligned<T: ?Sized>(pub T);

/// Views `len` floats at byte `offset` of `bytes` as `&'static [f32]`, in a
/// const context (for weights baked into the binary: no copy, no allocation).
///
/// The floats are read in the target's byte order: safetensors data is
/// little-endian, so the macro uses this on little-endian targets only.
///
/// # Panics
///
/// If `offset` is not a multiple of 4 or the floats run past the end of
/// `bytes` (at compile time, when called in a const context).
pub const fn static_f32(bytes: &'static Aligned<[u8]>, offset: usize, len: usize) -> &'static [f32] {
    let all = &bytes.0;
    assert!(offset.is_multiple_of(4), "tensor data not aligned for f32");
    assert!(offset <= all.len() && len <= (all.len() - offset) / 4, "tensor data past the end of the weights file");
    // SAFETY: `Aligned` puts the bytes at a 4-byte aligned address and `offset` is a
    // multiple of 4, so the pointer is aligned for f32; the `len` floats are within
    // `bytes` (checked above), which are initialized and immutable for 'static;
    // every bit pattern is a valid f32.
    unsafe { core::slice::from_raw_parts(all.as_ptr().add(offset).cast::<f32>(), len) }
}

impl core::ops::Deref for Param {
    type Target = [f32];
    fn deref(&self) -> &[f32] {
        self.as_slice()
    }
}

#[cfg(feature = "std")]
impl core::ops::DerefMut for Param {
    fn deref_mut(&mut self) -> &mut [f32] {
        self.as_mut_slice()
    }
}
