//! The `sequential!` macro of the `nn` crate.
//!
//! A pipeline of small steps: `parse` reads the declaration, `check` resolves
//! every argument and infers every shape (collecting all mistakes as
//! `syn::Error`s at their tokens), `expand` writes the struct and its
//! methods. On a mistake `fallback` still emits the struct, so the user sees
//! the mistakes and no cascade of "cannot find type" errors.

mod args;
mod check;
mod ctxt;
mod dims;
mod expand;
mod fallback;
#[cfg(test)]
mod fuzz;
mod keras;
mod layers;
mod nested;
mod parse;
mod penalties;
mod sizes;
mod vocab;
mod weights;

use std::collections::HashMap;

use proc_macro::TokenStream;

/// Declares a model: a struct with one field per layer, compile-time checked
/// shapes, and Keras-like methods (`seeded`, `summary`, `predict`,
/// `predict_one`, `train_on_batch`, `evaluate`, `fit`, `save_weights`,
/// `load_weights`).
///
/// In expression position (`nn::sequential![Flatten[28, 28], Dense(10)]`,
/// brackets, parentheses or braces) it declares the same struct under the
/// name `Sequential` in a block and evaluates to it seeded with 0
/// (`nn::sequential![seed = 7; ..]` picks the seed); the input is told from
/// the struct form by not starting with attributes, a visibility or `struct`.
///
/// `#[weights = "path/to/file.safetensors"]` on the struct (the path
/// relative to the declaring crate's directory, `CARGO_MANIFEST_DIR`) bakes
/// a weights file into the binary: the file is read and checked against the
/// declaration when the macro expands (a missing, extra, misshaped or
/// non-F32 tensor is a compile error at the attribute), the crate rebuilds
/// when the file changes, and `const fn embedded()` builds the model over
/// those weights with no file, no parsing and no allocation, so that
/// `static MODEL: Net = Net::embedded();` works.
///
/// With `nn`'s default features off (a `#![no_std]` crate, no allocator)
/// the struct keeps its consts, `embedded()` and `predict_one`; the rest
/// needs `std` and is left out.
///
/// ```ignore
/// nn::sequential! {
///     pub struct SeedMlp {
///         Flatten[28, 28], BatchNorm,
///         Dense(300, he_normal, no_bias), Activation(elu), BatchNorm,
///         Dense(10, softmax),
///     }
/// }
/// ```
#[proc_macro]
pub fn sequential(input: TokenStream) -> TokenStream {
    sequential2(input.into()).into()
}

/// What `#[::nn::__std]` is when `nn`'s `std` feature is on: the item as it is.
///
/// The expansion of `sequential!` marks every item that needs `std`
/// (training, batched `predict`, weight files, `summary`, `seeded`) with
/// `#[::nn::__std]`, which the `nn` facade defines as this attribute or as
/// [`__std_strip`] depending on its features (a proc macro cannot see the
/// features of the crate its output names).
#[doc(hidden)]
#[proc_macro_attribute]
pub fn __std_keep(_: TokenStream, item: TokenStream) -> TokenStream {
    item
}

/// What `#[::nn::__std]` is without `nn`'s `std` feature: the item removed.
#[doc(hidden)]
#[proc_macro_attribute]
pub fn __std_strip(_: TokenStream, _: TokenStream) -> TokenStream {
    TokenStream::new()
}

/// The macro on `proc_macro2` tokens: callable outside a compilation, for
/// the expansion snapshot test.
fn sequential2(input: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    // What the describing macros of nested models said, in front of the declaration.
    let (described, decl) = match nested::take_described(input.clone()) {
        Ok(d) => d,
        Err(e) => return e.to_compile_error(),
    };
    let program = match syn::parse2::<parse::Program>(decl) {
        Ok(p) => p,
        Err(e) => return e.to_compile_error(),
    };
    let first = &program.heads[0].ident;
    let mut pcx = ctxt::Ctxt::new(first);
    let presets = check::presets(&program.presets, &mut pcx);
    // The presets' mistakes, once, with the first model (inside the block of the expression form).
    let mut preset_errors = pcx.check().err().map(|e| e.to_compile_error());

    // `#[keras = ".."]` heads: the archive declares the layers.
    let mut imported: Vec<Option<keras::Imported>> = Vec::new();
    let mut parsed: Vec<syn::Result<parse::Layers>> = Vec::new();
    for h in &program.heads {
        let (layers, import) = match h.weights.as_ref().filter(|w| w.keras).map(keras::import) {
            Some(Ok(i)) => (syn::parse2::<parse::Layers>(i.body.clone()), Some(i)),
            Some(Err(e)) => (Err(e), None),
            None => (syn::parse2::<parse::Layers>(h.body.clone()), None),
        };
        parsed.push(layers);
        imported.push(import);
    }
    // Learn the shapes of nested models declared elsewhere first: the
    // describing macro of the first one calls this macro again.
    let local =
        |name: &str| program.heads.iter().any(|h| h.ident == name) || program.presets.iter().any(|p| p.name == name);
    let decls = parsed.iter().flatten().flat_map(|l| l.layers.iter()).flatten();
    if let Some(call) = layers::nested::callback(decls, &described, &local, &input) {
        return call;
    }

    let broken = program.presets.iter().map(|p| p.name.to_string()).filter(|n| !presets.contains_key(n)).collect();
    let mut known = check::Known { presets, nested: HashMap::new(), broken };
    known.nested = described.into_iter().map(|(name, d)| (name, layers::nested::Nested::leak(d))).collect();
    let mut out = proc_macro2::TokenStream::new();
    for ((head, layers), import) in program.heads.iter().zip(parsed).zip(imported) {
        let errors = preset_errors.take();
        let items = model(head, layers, import, &mut known);
        out.extend(inline(head, quote::quote!(#errors #items)));
    }
    out
}

/// One model of the input, checked and expanded (or its fallback); a model
/// that checks is described for the models after it.
fn model(
    head: &parse::Head,
    layers: syn::Result<parse::Layers>,
    import: Option<keras::Imported>,
    known: &mut check::Known,
) -> proc_macro2::TokenStream {
    let mut cx = ctxt::Ctxt::new(&head.ident);
    head.errors.iter().cloned().for_each(|e| cx.push(e));
    let layers = match layers {
        Ok(l) => l,
        Err(e) => {
            cx.push(e);
            return fallback::emit(head, None, cx.check().err());
        }
    };
    layers.errors.into_iter().for_each(|e| cx.push(e));
    let model = check::check(&layers.layers, known, head.ident.span(), &mut cx);
    let expected = weights::expected(&model);
    let embedded = match (&head.weights, import) {
        (Some(attr), Some(import)) if !cx.has_errors() => keras::embed(attr, import, &model, &expected, &mut cx),
        (Some(attr), None) if !cx.has_errors() && !attr.keras => weights::check(attr, &expected, &mut cx),
        _ => None,
    };
    match cx.check() {
        // Incomplete without a mistake of its own: a broken preset, reported once beside it.
        Ok(_) if !model.complete => fallback::emit(head, Some(&model), None),
        Ok(checked) => {
            let items = expand::model(head, &model, &checked, embedded.as_ref().map(|f| (&expected[..], f)));
            let described = model.described(&head.ident);
            known.nested.insert(head.ident.to_string(), layers::nested::Nested::leak(described));
            items
        }
        Err(e) => fallback::emit(head, Some(&model), Some(e)),
    }
}

/// The expression form: a block that declares the struct and evaluates to
/// the model built with the seed given (0 when none is).
fn inline(head: &parse::Head, items: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    match head.inline_seed {
        None => items,
        Some(seed) => {
            let ident = &head.ident;
            quote::quote!({
                #items
                #ident::seeded(#seed)
            })
        }
    }
}

#[cfg(test)]
mod tests {
    /// The expansion of API.md's seed model, formatted, must equal the
    /// checked-in `tests/expand/seed_mlp.expanded.rs` (so reviewers see what
    /// the macro emits). Regenerate it with `NN_EXPAND=overwrite`.
    #[test]
    fn seed_mlp_expansion() {
        let input = quote::quote! {
            /// Chapter-11 classifier: BatchNorm before each activation, no biases.
            pub struct SeedMlp {
                Flatten[28, 28],
                BatchNorm,
                Dense(300, he_normal, no_bias),
                Activation(elu),
                BatchNorm,
                Dense(100, he_normal, no_bias),
                Activation(elu),
                BatchNorm,
                Dense(10, softmax),
            }
        };
        let file = syn::parse2::<syn::File>(super::sequential2(input)).expect("the expansion parses as a file");
        let expanded = format!(
            "// The expansion of API.md's seed model by `nn::sequential!`, as\n\
             // `cargo expand` would show it. Generated by nn-macros's test\n\
             // `seed_mlp_expansion`; regenerate with `NN_EXPAND=overwrite`.\n\
             // `#[::nn::__std]` marks what needs `nn`'s `std` feature: kept with\n\
             // it, removed without (`cargo expand` shows the outcome).\n\n{}",
            prettyplease::unparse(&file)
        );
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/expand/seed_mlp.expanded.rs");
        if std::env::var_os("NN_EXPAND").is_some_and(|v| v == "overwrite") {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &expanded).unwrap();
            return;
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            expected == expanded,
            "the expansion changed; review it and regenerate {} with NN_EXPAND=overwrite",
            path.display()
        );
    }
}
