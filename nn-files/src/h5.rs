//! Keras 3's weights files (`model.save_weights("x.weights.h5")`, and the
//! `model.weights.h5` inside a `.keras`), read and written with the
//! pure-Rust `hdf5-pure` crate, in Keras's layout ([`crate::layout`]).
//!
//! Reading is all or nothing: every variable the model declares must be in
//! the file as float32 with the declared shape, and the file's `layers`
//! group must hold no other dataset; all problems are reported at once, in
//! the wording of [`crate::mismatch`], keyed by HDF5 path. The optimizer's
//! variables (`optimizer/vars/...`) are ignored, as `load_weights` ignores
//! them in Keras.

use hdf5_pure::{AttrValue, DType, File, FileBuilder, Group, GroupBuilder};

use crate::layout::{keys, var_paths, Layer, Model, Part};
use crate::mismatch::{Mismatch, Shape};
use crate::Result;

/// Deepest group nesting walked (a corrupt file can link a group to its parent).
const MAX_DEPTH: usize = 32;
/// Most datasets listed under `layers` before the file is refused.
const MAX_DATASETS: usize = 100_000;

/// Reads the variables of `model` from the bytes of a Keras weights file;
/// one vector per variable, in [`var_paths`] order.
pub fn read(bytes: Vec<u8>, model: &Model) -> Result<Vec<Vec<f32>>> {
    let file = guard(|| File::from_bytes(bytes))?.map_err(|e| format!("not a Keras weights file (HDF5): {e}"))?;
    let expected = var_paths(model);
    let mut problems = Vec::new();
    let mut found = Vec::new();
    list(&file.root(), "", 0, &mut found)?;
    for (path, shape) in &expected {
        let want = Shape(shape);
        let Some((_, dtype, have)) = found.iter().find(|(p, _, _)| p == path) else {
            problems.push(Mismatch::Missing { key: path, expected: &want }.to_string());
            continue;
        };
        if *dtype != DType::F32 {
            problems.push(Mismatch::Dtype { key: path, found: &dtype_name(dtype), expected: &want }.to_string());
        } else if have.len() != shape.len() || have.iter().zip(shape).any(|(&h, &s)| h != s as u64) {
            problems.push(Mismatch::Shape { key: path, found: &Shape(have), expected: &want }.to_string());
        }
    }
    for (path, dtype, shape) in &found {
        if path.starts_with("layers/") && !expected.iter().any(|(p, _)| p == path) {
            let found = format!("{} {}", dtype_name(dtype), Shape(shape));
            problems.push(Mismatch::Unexpected { key: path, found: &found }.to_string());
        }
    }
    if !problems.is_empty() {
        return Err(problems.join("; "));
    }
    expected
        .iter()
        .map(|(path, shape)| {
            let ds = file.dataset(path).map_err(|e| format!("tensor `{path}`: {e}"))?;
            let data = guard(|| ds.read_f32())?.map_err(|e| format!("tensor `{path}`: cannot read its data: {e}"))?;
            let numel: usize = shape.iter().product();
            if data.len() != numel {
                return Err(format!(
                    "tensor `{path}` holds {} values, its shape {} needs {numel}",
                    data.len(),
                    Shape(shape)
                ));
            }
            Ok(data)
        })
        .collect()
}

/// Lists every dataset under `group` as (path, dtype, shape), bounded in
/// depth and number.
fn list(group: &Group, prefix: &str, depth: usize, out: &mut Vec<(String, DType, Vec<u64>)>) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(format!(
            "groups nested deeper than {MAX_DEPTH} at `{prefix}` (a corrupt file links a group into itself)"
        ));
    }
    let bad = |e: hdf5_pure::Error| format!("not a Keras weights file: cannot list `/{prefix}`: {e}");
    for name in guard(|| group.datasets())?.map_err(bad)? {
        if out.len() >= MAX_DATASETS {
            return Err(format!("more than {MAX_DATASETS} datasets; not a model's weights file"));
        }
        let path = format!("{prefix}{name}");
        let ds = guard(|| group.dataset(&name))?.map_err(|e| format!("dataset `{path}`: {e}"))?;
        let dtype = guard(|| ds.dtype())?.map_err(|e| format!("dataset `{path}`: {e}"))?;
        let shape = guard(|| ds.shape())?.map_err(|e| format!("dataset `{path}`: {e}"))?;
        out.push((path, dtype, shape));
    }
    for name in guard(|| group.groups())?.map_err(bad)? {
        let sub = guard(|| group.group(&name))?.map_err(|e| format!("group `{prefix}{name}`: {e}"))?;
        list(&sub, &format!("{prefix}{name}/"), depth + 1, out)?;
    }
    Ok(())
}

/// Keras's (NumPy's) name of a dtype: `float64`, `int64`.
fn dtype_name(d: &DType) -> String {
    match d {
        DType::F32 => "float32".into(),
        DType::F64 => "float64".into(),
        DType::I8 => "int8".into(),
        DType::I16 => "int16".into(),
        DType::I32 => "int32".into(),
        DType::I64 => "int64".into(),
        DType::U8 => "uint8".into(),
        DType::U16 => "uint16".into(),
        DType::U32 => "uint32".into(),
        DType::U64 => "uint64".into(),
        other => format!("{other}"),
    }
}

/// Runs a call into the HDF5 reader, turning a panic (a bug in the crate on
/// some corrupt input) into an error: a reader must never panic.
fn guard<T>(f: impl FnOnce() -> T) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .map_err(|_| "malformed HDF5 file (the reader failed on its structure)".to_string())
}

/// The bytes of a Keras weights file holding `values` (one per variable, in
/// [`var_paths`] order) in Keras's layout, with a `vars` group (its `name`
/// attribute the layer's name) for every layer and model, as Keras writes.
pub fn write(model: &Model, values: &[&[f32]]) -> Result<Vec<u8>> {
    let expected = var_paths(model);
    if expected.len() != values.len() {
        return Err(format!("{} tensors given for the {} variables of the model", values.len(), expected.len()));
    }
    let mut fb = FileBuilder::new();
    let mut next = values.iter();
    let mut layers = fb.create_group("layers");
    fill(&mut layers, model, &mut next)?;
    fb.add_group(layers.finish());
    let mut vars = fb.create_group("vars");
    vars.set_attr("name", AttrValue::VarLenString(model.name.clone()));
    fb.add_group(vars.finish());
    fb.finish().map_err(|e| format!("cannot encode the HDF5 file: {e}"))
}

/// Writes `model`'s layers into its `layers` group.
fn fill<'a>(group: &mut GroupBuilder, model: &Model, values: &mut impl Iterator<Item = &'a &'a [f32]>) -> Result<()> {
    for (l, key) in model.layers.iter().zip(keys(&model.layers)) {
        let mut g = group.create_group(&key);
        let mut own = Vec::new();
        for (i, shape) in l.vars.iter().enumerate() {
            let data = *values.next().ok_or("fewer tensors than variables")?;
            let numel: usize = shape.iter().product();
            if data.len() != numel {
                return Err(format!(
                    "layer `{}` variable {i}: {} values for shape {}",
                    l.name,
                    data.len(),
                    Shape(shape)
                ));
            }
            own.push(data);
        }
        fill_parts(&mut g, l, &l.parts(), "", &own);
        if let Some(inner) = &l.inner {
            let mut sub = g.create_group("layers");
            fill(&mut sub, inner, values)?;
            g.add_group(sub.finish());
        }
        group.add_group(g.finish());
    }
    Ok(())
}

/// Writes the parts of layer `l` found at `at` (its `vars` group, then
/// its groups below, in the order of [`Layer::parts`]); `values` are the
/// layer's variables.
fn fill_parts(group: &mut GroupBuilder, l: &Layer, parts: &[Part], at: &str, values: &[&[f32]]) {
    for part in parts.iter().filter(|p| p.at == at) {
        let mut vars = group.create_group("vars");
        vars.set_attr("name", AttrValue::VarLenString(part.name.clone()));
        for (i, (shape, data)) in l.vars[part.vars.clone()].iter().zip(&values[part.vars.clone()]).enumerate() {
            let dims: Vec<u64> = shape.iter().map(|&d| d as u64).collect();
            vars.create_dataset(&i.to_string()).with_f32_data(data).with_shape(&dims);
        }
        group.add_group(vars.finish());
    }
    let mut children: Vec<&str> = Vec::new();
    for p in parts {
        if let Some(child) = p.at.strip_prefix(at).and_then(|rest| rest.split('/').next()).filter(|c| !c.is_empty()) {
            if !children.contains(&child) {
                children.push(child);
            }
        }
    }
    for child in children {
        let mut sub = group.create_group(child);
        fill_parts(&mut sub, l, parts, &format!("{at}{child}/"), values);
        group.add_group(sub.finish());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> Model {
        Model {
            name: "m".into(),
            input_shape: vec![3],
            layers: vec![
                Layer::new("Dense", "hidden", &[3]).var(&[3, 2]).var(&[2]),
                Layer::new("Flatten", "flatten", &[2]),
                Layer::new("Dense", "out", &[2]).var(&[2, 1]),
            ],
        }
    }

    #[test]
    fn round_trip_and_mistakes() {
        let m = model();
        let (k, b, k2) = ([1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], [0.5f32, -0.5], [7.0f32, 8.0]);
        let bytes = write(&m, &[&k, &b, &k2]).unwrap();
        assert_eq!(read(bytes.clone(), &m).unwrap(), vec![k.to_vec(), b.to_vec(), k2.to_vec()]);

        let mut other = m.clone();
        other.layers[2].vars[0] = vec![2, 3];
        other.layers.push(Layer::new("Dense", "more", &[3]).var(&[3, 1]));
        let err = read(bytes.clone(), &other).unwrap_err();
        assert!(err.contains("tensor `layers/dense_1/vars/0` has shape [2, 1], expected [2, 3]"), "{err}");
        assert!(err.contains("tensor `layers/dense_2/vars/0` is missing"), "{err}");

        let mut fewer = m.clone();
        fewer.layers[0].vars.pop();
        let err = read(bytes.clone(), &fewer).unwrap_err();
        assert!(err.contains("unexpected tensor `layers/dense/vars/1` (float32 [2])"), "{err}");

        assert!(read(b"not hdf5".to_vec(), &m).unwrap_err().contains("not a Keras weights file"));
        for cut in [0, 8, 100, 1000] {
            assert!(read(bytes[..cut].to_vec(), &m).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn recurrent_variables_in_cells_as_keras_writes_them() {
        let m = Model {
            name: "m".into(),
            input_shape: vec![2, 3],
            layers: vec![Layer::new("LSTM", "lstm", &[2, 3]).var(&[3, 4]).var(&[1, 4]).var(&[4])],
        };
        let (k, r, b) = ([0.5f32; 12], [1.5f32; 4], [2.5f32; 4]);
        let bytes = write(&m, &[&k, &r, &b]).unwrap();
        let file = File::from_bytes(bytes.clone()).unwrap();
        let name = |path: &str| file.group(path).unwrap().attrs().unwrap()["name"].clone();
        assert_eq!(name("layers/lstm/vars"), AttrValue::VarLenString("lstm".into()));
        assert_eq!(name("layers/lstm/cell/vars"), AttrValue::VarLenString("lstm_cell".into()));
        assert!(file.group("layers/lstm/vars").unwrap().datasets().unwrap().is_empty());
        assert_eq!(read(bytes, &m).unwrap(), vec![k.to_vec(), r.to_vec(), b.to_vec()]);

        // A kernel outside the cell level and a float64 one in it are refused, by path.
        let mut fb = FileBuilder::new();
        let mut layers = fb.create_group("layers");
        let mut lstm = layers.create_group("lstm");
        let mut vars = lstm.create_group("vars");
        vars.create_dataset("0").with_f32_data(&k).with_shape(&[3, 4]);
        lstm.add_group(vars.finish());
        let mut cell = lstm.create_group("cell");
        let mut vars = cell.create_group("vars");
        vars.create_dataset("1").with_f64_data(&[1.5; 4]).with_shape(&[1, 4]);
        vars.create_dataset("2").with_f32_data(&b).with_shape(&[4]);
        cell.add_group(vars.finish());
        lstm.add_group(cell.finish());
        layers.add_group(lstm.finish());
        fb.add_group(layers.finish());
        let err = read(fb.finish().unwrap(), &m).unwrap_err();
        assert!(err.contains("tensor `layers/lstm/cell/vars/0` is missing"), "{err}");
        assert!(err.contains("tensor `layers/lstm/cell/vars/1` has dtype float64, expected F32 [1, 4]"), "{err}");
        assert!(err.contains("unexpected tensor `layers/lstm/vars/0` (float32 [3, 4])"), "{err}");
        assert!(!err.contains("cell/vars/2"), "{err}");
    }
}
