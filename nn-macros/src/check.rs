//! Meaning of a declaration: every layer's arguments resolved by its kind,
//! Keras's names given, shapes inferred, weights and parameter counts
//! derived. Every mistake becomes a `syn::Error` at the offending token in
//! the context; none stops the check early.

use std::collections::HashMap;

use proc_macro2::{Span, TokenStream};

use syn::spanned::Spanned;

use crate::args::{self, Args};
use crate::ctxt::{Before, Ctxt};
use crate::dims::{self, dims_of, product, show_shape, sum, Dim};
use crate::layers::nested::Nested;
use crate::layers::{self, Io, Kind, Spec, Weight};
use crate::nested::{Described, NestedWeight};
use crate::parse::{Arg, LayerDecl, PresetDecl};

/// One checked layer.
pub struct Layer {
    /// Its kind.
    pub kind: &'static dyn Kind,
    /// What its kind made of its arguments.
    pub spec: Box<dyn Spec>,
    /// Keras's name; also the field name.
    pub name: String,
    /// The layer's kind as written, for spans of generated code.
    pub span: Span,
    /// The shape it receives (no batch dimension).
    pub input: Vec<Dim>,
    /// The shape it outputs.
    pub output: Vec<Dim>,
    /// Whether optimizers train it (`trainable = false` freezes it).
    pub trainable: bool,
    /// Its weights, in the runtime layer's order.
    pub weights: Vec<Weight>,
    /// Its arguments as Keras config entries (key, value expression).
    pub keras: Vec<(&'static str, TokenStream)>,
}

impl Layer {
    /// Its shapes, for its spec.
    pub fn io(&self) -> Io<'_> {
        Io { input: &self.input }
    }
    /// Whether optimizers train weight `w` of it.
    pub fn trains(&self, w: &Weight) -> bool {
        self.trainable && w.trainable
    }
    /// Number of weights: (trainable, non-trainable).
    pub fn params(&self) -> (Dim, Dim) {
        let count = |trained: bool| {
            let parts: Vec<Dim> =
                self.weights.iter().filter(|w| self.trains(w) == trained).map(|w| product(&w.shape)).collect();
            sum(&parts)
        };
        (count(true), count(false))
    }
}

/// A checked model.
pub struct Model {
    /// The model's input shape.
    pub input: Vec<Dim>,
    /// Layers with a field (all but `Input`).
    pub layers: Vec<Layer>,
    /// Every shape is known (false after a mistake that lost the shape).
    pub complete: bool,
}

impl Model {
    /// The model's output shape.
    pub fn output(&self) -> &[Dim] {
        self.layers.last().map_or(&self.input, |l| &l.output)
    }
    /// Whether its last computing layer ends in softmax (for the fused
    /// softmax + cross-entropy gradient).
    pub fn ends_in_softmax(&self) -> bool {
        self.layers.iter().rev().find(|l| l.spec.pass() != layers::Pass::View).is_some_and(|l| l.spec.ends_in_softmax())
    }
    /// What the describing macro of this model says of it (also for a
    /// model nested in another of the same `sequential!`).
    pub fn described(&self, ident: &syn::Ident) -> Described {
        let weights = self
            .layers
            .iter()
            .flat_map(|l| {
                l.weights.iter().map(move |w| NestedWeight {
                    name: format!("{}.{}", l.name, w.name),
                    shape: w.shape.clone(),
                    trainable: l.trains(w),
                })
            })
            .collect();
        Described {
            ident: ident.clone(),
            input: self.input.clone(),
            output: self.output().to_vec(),
            softmax: self.ends_in_softmax(),
            weights,
        }
    }

    /// (trainable, non-trainable) parameter counts of the whole model.
    pub fn params(&self) -> (Dim, Dim) {
        let (t, n): (Vec<Dim>, Vec<Dim>) = self.layers.iter().map(Layer::params).unzip();
        (sum(&t), sum(&n))
    }
}

/// What a declaration may name besides the layer kinds: its presets and
/// the models nested in it.
#[derive(Default)]
pub struct Known {
    /// `layer Name = Kind(..);` presets, by name.
    pub presets: HashMap<String, Preset>,
    /// Models described to this expansion, by type name.
    pub nested: HashMap<String, &'static Nested>,
    /// Presets whose declaration had a mistake (reported there, not at each use).
    pub broken: std::collections::HashSet<String>,
}

/// A preset: the kind it stands for and the arguments it gives.
pub struct Preset {
    /// The layer kind.
    pub kind: &'static dyn Kind,
    /// Its arguments, resolved (required ones may come at the use).
    pub args: Args,
}

/// Checks the presets of a `sequential!`: each stands for a layer kind (or
/// an earlier preset) under a name of its own.
pub fn presets(decls: &[PresetDecl], cx: &mut Ctxt) -> HashMap<String, Preset> {
    let mut out: HashMap<String, Preset> = HashMap::new();
    for d in decls {
        let (name, kind_name) = (d.name.to_string(), d.layer.kind.to_string());
        if kind_name == name {
            cx.error(
                d.layer.kind.span(),
                format!("preset `{name}` names itself: a preset stands for a layer kind, `layer {name} = Dense(..);`"),
            );
            continue;
        }
        if layers::find(&name).is_some() {
            cx.error(d.name.span(), format!("`{name}` is a layer kind: give the preset a name of its own"));
            continue;
        }
        if out.contains_key(&name) {
            cx.error(d.name.span(), format!("a second preset named `{name}`: give it another name"));
            continue;
        }
        let (kind, base) = match (layers::find(&kind_name), out.get(&kind_name)) {
            (Some(k), _) => (k, None),
            (None, Some(p)) => (p.kind, Some(&p.args)),
            (None, None) => {
                let hint = layers::unknown_hint(&kind_name);
                cx.error(d.layer.kind.span(), format!("preset `{name}` is of an unknown layer `{kind_name}`; {hint}"));
                continue;
            }
        };
        if kind.declares_input() {
            cx.error(d.layer.kind.span(), "`Input` declares a model's input shape: it cannot be a preset");
            continue;
        }
        let own = args::resolve_partial(layers::accepts(kind), &d.layer, cx);
        let args = match base {
            Some(b) => b.overridden_by(own),
            None => own,
        };
        out.insert(name, Preset { kind, args });
    }
    out
}

/// What is known of the shape flowing between layers.
enum Flow {
    /// No shape declared yet.
    Missing,
    Known(Vec<Dim>),
    /// Lost after a mistake (an unknown or malformed layer): later layers
    /// are still checked, but not against a shape that would be a guess.
    Unknown,
}

/// Checks a whole declaration; `None` items are layers that did not parse.
pub fn check(decls: &[Option<LayerDecl>], known: &Known, struct_span: Span, cx: &mut Ctxt) -> Model {
    let mut model = Model { input: Vec::new(), layers: Vec::new(), complete: true };
    let mut seen_input = false;
    // Every name so far: its span and whether it was written (`name = "..."`).
    let mut names: HashMap<String, (Span, bool)> = HashMap::new();
    let mut flow = Flow::Missing;

    if decls.is_empty() {
        cx.error(struct_span, "a model needs layers: `struct Name { Flatten[28, 28], Dense(10, softmax) }`");
    }
    for (i, decl) in decls.iter().enumerate() {
        let Some(decl) = decl else {
            // Already reported by the parser.
            flow = Flow::Unknown;
            model.complete = false;
            continue;
        };
        let kind_name = decl.kind.to_string();
        let preset = known.presets.get(&kind_name);
        let found = layers::find(&kind_name)
            .or(preset.map(|p| p.kind))
            .or_else(|| known.nested.get(&kind_name).map(|&n| n as &'static dyn Kind));
        if found.is_none() && known.broken.contains(&kind_name) {
            flow = Flow::Unknown;
            model.complete = false;
            continue;
        }
        let Some(kind) = found else {
            let hint = layers::unknown_hint(&kind_name);
            cx.error(decl.kind.span(), format!("unknown layer `{kind_name}`; {hint}"));
            flow = Flow::Unknown;
            model.complete = false;
            continue;
        };
        if kind.declares_input() {
            if seen_input {
                cx.error(
                    decl.kind.span(),
                    "a second `Input`: the model's input shape is declared already; remove this one",
                );
            } else if i > 0 {
                cx.error(
                    decl.kind.span(),
                    "`Input` must be the first layer: it declares the model's input shape; \
                     move it to the top, or give the shape to the layer after it (`Dense[784](..)`)",
                );
            }
            if let Some(paren) = decl.paren_span {
                cx.error(paren, "`Input` takes only a shape, no arguments: `Input[28, 28]`");
            }
        }
        let args = match (kind.declares_input(), preset) {
            (true, _) => Args::default(),
            (false, None) => args::resolve(layers::accepts(kind), decl, cx),
            (false, Some(p)) => {
                let args = p.args.overridden_by(args::resolve_partial(layers::accepts(kind), decl, cx));
                args::check_required(layers::accepts(kind), decl, &args, cx);
                args
            }
        };

        // Input shape: `Input[..]` or a bracketed first layer; brackets later are
        // Keras's `input_shape` again and must agree.
        let bracket = if kind.brackets() == layers::Brackets::Own { None } else { decl.shape.as_ref() };
        if let Some(shape) = bracket {
            let span = shape.bracket.span.join();
            let dims = dims_of(&format!("a size of `{kind_name}[..]`"), &shape.dims, span, false, cx);
            let fits = dims::count(&dims, span, &format!("the input shape {}", show_shape(&dims)), cx);
            match &flow {
                Flow::Missing => model.input = dims.clone(),
                Flow::Known(cur) => check_same(cur, &dims, shape.bracket.span.join(), &kind_name, cx),
                Flow::Unknown => {}
            }
            flow = if fits { Flow::Known(dims) } else { Flow::Unknown };
        } else if matches!(flow, Flow::Missing) {
            let example = if kind.declares_input() {
                "`Input[28, 28]`".to_string()
            } else {
                let args = decl.paren_span.map_or("", |_| "(..)");
                format!(
                    "`Input[...]` before it (e.g. `Input[784]`), or `{kind_name}[784]{args}` (Keras's `input_shape`)"
                )
            };
            cx.error(
                decl.kind.span(),
                format!("the model's input shape is missing: the first layer `{kind_name}` needs it; write {example}"),
            );
            flow = Flow::Unknown;
        }
        if kind.declares_input() {
            seen_input = true;
            continue;
        }
        let input = match &flow {
            Flow::Known(d) => Some(d.clone()),
            _ => None,
        };

        let explicit = args.string("name").is_some();
        let name = match args.string("name") {
            Some(s) => s.to_string(),
            None => cx.auto_name(kind.auto_name()),
        };
        let name_span = name_span(decl).unwrap_or(decl.kind.span());
        match names.get(&name) {
            None => {}
            Some(&(_, true)) if explicit => cx.error(
                name_span,
                format!("two layers are named `{name}`; layer names must be unique: choose another `name = \"...\"`"),
            ),
            Some(_) if explicit => cx.error(
                name_span,
                format!(
                    "`{name}` is already the automatic name of an earlier layer; layer names must be unique: \
                     choose another `name = \"...\"`"
                ),
            ),
            Some(&(first, _)) => cx.error(
                first,
                format!(
                    "`{name}` is also the automatic name of a later `{kind_name}` layer; layer names must be \
                     unique: choose another `name = \"...\"`"
                ),
            ),
        }
        names.insert(name.clone(), (name_span, explicit));

        let spec = kind.build(decl, &args, cx);
        let span = decl.kind.span();
        let output = match &input {
            Some(input) => {
                let output = spec.output(input, decl, &name, cx);
                let output = cx.named(output);
                let what = format!("layer `{name}` outputs {}, which", show_shape(&output));
                flow = if dims::count(&output, span, &what, cx) { Flow::Known(output.clone()) } else { Flow::Unknown };
                output
            }
            None => {
                model.complete = false;
                Vec::new()
            }
        };
        let input = input.unwrap_or_default();
        let weights = if model.complete { spec.weights(&Io { input: &input }) } else { Vec::new() };
        for w in &weights {
            let shape = w.shape.iter().map(Dim::show).collect::<Vec<_>>().join(", ");
            dims::count(&w.shape, span, &format!("weight `{name}.{}` of shape [{shape}]", w.name), cx);
        }
        let trainable = args.flag("trainable", true);
        // The next layer's shape rule is told of this one; a layer that is
        // the identity at inference (a dropout) passes on what it was told.
        if !matches!(spec.pass(), layers::Pass::TrainOnly | layers::Pass::Dropout) || cx.before().is_none() {
            cx.set_before(Some(Before { name: name.clone(), keep_sequence: spec.keep_sequence() }));
        }
        let mut keras = args::keras_config(kind.args(), &args);
        keras.extend(spec.keras_config());
        if kind.brackets() == layers::Brackets::Own {
            let dims = output.iter().map(Dim::tokens);
            keras.push(("target_shape", quote::quote!(::nn::files::serde_json::json!([#((#dims) as u64),*]))));
        }
        model.layers.push(Layer { kind, spec, name, span, input, output, trainable, weights, keras });
    }
    if !matches!(flow, Flow::Known(_)) {
        model.complete = false;
    }
    if model.complete {
        let counts: Vec<Dim> = model.layers.iter().flat_map(|l| l.weights.iter().map(|w| product(&w.shape))).collect();
        dims::total(&counts, struct_span, "the model's parameter count", cx);
    }
    model
}

fn name_span(decl: &LayerDecl) -> Option<Span> {
    decl.args.iter().find_map(|a| match a {
        Arg::Keyword { name, value } if name == "name" => Some(value.span()),
        _ => None,
    })
}

/// A declared input shape later in the model must equal the current one.
fn check_same(cur: &[Dim], new: &[Dim], span: Span, kind: &str, cx: &mut Ctxt) {
    let all_lit = cur.iter().chain(new).all(|d| matches!(d, Dim::Lit(_)));
    if all_lit || cur.len() != new.len() {
        let same = cur.len() == new.len()
            && cur.iter().zip(new).all(|(a, b)| matches!((a, b), (Dim::Lit(x), Dim::Lit(y)) if x == y));
        if !same {
            let fix = cur.iter().map(Dim::show).collect::<Vec<_>>().join(", ");
            cx.error(
                span,
                format!(
                    "`{kind}` declares input shape {}, but the layer before it outputs {}; remove the brackets or write `{kind}[{fix}]`",
                    show_shape(new),
                    show_shape(cur)
                ),
            );
        }
    } else {
        for (a, b) in cur.iter().zip(new) {
            let (ta, tb) = (a.tokens(), b.tokens());
            let msg = format!(
                "`{kind}` declares input shape {}, but the layer before it outputs {}",
                show_shape(new),
                show_shape(cur)
            );
            cx.assert(span, quote::quote!(#ta == #tb), &msg);
        }
    }
}
