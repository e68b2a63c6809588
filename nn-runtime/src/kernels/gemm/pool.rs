//! One persistent helper thread for splitting work in two.
//!
//! Started by the first call that wants it (that call allocates the thread);
//! afterwards handing it work is a few atomic operations on shared flags, no
//! lock and no allocation. Both sides spin before sleeping (products come in
//! quick succession: a training step is a dozen of them plus the optimizer
//! update, and a futex wake-up costs more than a small product's half); a
//! side that sleeps is woken with `unpark` only when it announced it. One
//! caller at a time uses the helper; a concurrent caller runs both halves
//! itself. Whoever comes first claims the second half: a caller done with its
//! half before the helper has started (the helper descheduled because another
//! process holds the second core) runs it itself instead of waiting for the
//! scheduler, and the spins yield the core, so a shared machine costs a
//! product its parallelism, not a time slice.

use core::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::thread::Thread;
use std::time::{Duration, Instant};

/// A raw pointer that may cross threads (the caller guarantees exclusivity).
#[derive(Clone, Copy)]
pub(super) struct SendPtr(pub *mut f32);
impl SendPtr {
    /// The pointer (a method, so that closures capture the whole `SendPtr`).
    pub(super) fn get(&self) -> *mut f32 {
        self.0
    }
}

// SAFETY: only used to hand each thread its own disjoint rows of `c`.
unsafe impl Send for SendPtr {}
// SAFETY: as above.
unsafe impl Sync for SendPtr {}

/// A job with its lifetime erased; valid until the caller sees it done.
#[derive(Clone, Copy)]
struct Job(*const (dyn Fn(usize) + Sync + 'static));

/// What the caller publishes with each job.
struct Slot {
    job: Option<Job>,
    caller: Option<Thread>,
}

/// The published job: written by the caller holding [`BUSY`] while the
/// helper is idle (`DONE == EPOCH`), read by the helper after it sees a new
/// [`EPOCH`] (release/acquire on `EPOCH` orders the two).
struct Shared(UnsafeCell<Slot>);
// SAFETY: accesses are ordered by EPOCH / DONE as described above.
unsafe impl Sync for Shared {}

static SLOT: Shared = Shared(UnsafeCell::new(Slot { job: None, caller: None }));
/// Held by the one caller using the helper.
static BUSY: AtomicBool = AtomicBool::new(false);
/// Number of jobs published.
static EPOCH: AtomicUsize = AtomicUsize::new(0);
/// Number of jobs the helper has finished.
static DONE: AtomicUsize = AtomicUsize::new(0);
/// The last epoch whose part 1 was claimed, by the helper or by the caller
/// (who runs it itself when the helper has not started it by the time part 0
/// is done: a helper descheduled by another process then costs nothing).
static CLAIMED: AtomicUsize = AtomicUsize::new(0);

/// Claims part 1 of `epoch` (true once per epoch, for whoever comes first).
fn claim(epoch: usize) -> bool {
    CLAIMED.compare_exchange(epoch.wrapping_sub(1), epoch, Ordering::SeqCst, Ordering::SeqCst).is_ok()
}
/// Whether the last job panicked on the helper.
static PANICKED: AtomicBool = AtomicBool::new(false);
/// Set by a side about to sleep; the other side unparks it after clearing it.
static HELPER_SLEEPS: AtomicBool = AtomicBool::new(false);
static CALLER_SLEEPS: AtomicBool = AtomicBool::new(false);
/// How long the helper spins for the next job before sleeping: longer than
/// the gaps of a training step (the elementwise layers, the loss), so that a
/// step never pays a wake-up.
const SPIN_HELPER: Duration = Duration::from_micros(1000);
/// How long the caller spins for the helper's half before sleeping.
const SPIN_CALLER: Duration = Duration::from_micros(2000);

static HELPER: OnceLock<Option<Thread>> = OnceLock::new();

/// Spins until `ready()`, for at most `budget`; whether it became ready.
fn spin(ready: impl Fn() -> bool, budget: Duration) -> bool {
    let start = Instant::now();
    loop {
        for _ in 0..64 {
            if ready() {
                return true;
            }
            std::hint::spin_loop();
        }
        // Lets the other side run if both share a core (another process
        // holds the second one); returns at once when nothing else waits.
        std::thread::yield_now();
        if start.elapsed() >= budget {
            return ready();
        }
    }
}

/// Waits until `ready()`: spins, then sleeps announcing it in `flag` (the
/// other side unparks this thread after making `ready()` true).
fn wait(ready: impl Fn() -> bool, budget: Duration, flag: &AtomicBool) {
    if spin(&ready, budget) {
        return;
    }
    loop {
        flag.store(true, Ordering::SeqCst);
        if ready() {
            flag.store(false, Ordering::Relaxed);
            return;
        }
        std::thread::park();
    }
}

/// Wakes the thread behind `flag` if it announced it sleeps.
fn wake(flag: &AtomicBool, t: Option<&Thread>) {
    if flag.swap(false, Ordering::SeqCst) {
        if let Some(t) = t {
            t.unpark();
        }
    }
}

fn helper_loop() {
    let mut seen = 0usize;
    loop {
        wait(|| EPOCH.load(Ordering::SeqCst) != seen, SPIN_HELPER, &HELPER_SLEEPS);
        seen = EPOCH.load(Ordering::Acquire);
        if !claim(seen) {
            // The caller ran part 1 itself (and may be publishing the next job:
            // the slot is not ours to read).
            continue;
        }
        // SAFETY: the caller wrote the slot before publishing `seen`; having
        // claimed `seen`, the caller does not touch it again until DONE reaches `seen`.
        let (job, caller) = unsafe {
            let s = &*SLOT.0.get();
            (s.job, s.caller.clone())
        };
        let ok = match job {
            // SAFETY: `run2` keeps the closure alive until it sees DONE == seen.
            Some(job) => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| unsafe { (*job.0)(1) })).is_ok(),
            None => true,
        };
        PANICKED.store(!ok, Ordering::Relaxed);
        DONE.store(seen, Ordering::SeqCst);
        wake(&CALLER_SLEEPS, caller.as_ref());
    }
}

fn helper() -> Option<&'static Thread> {
    HELPER
        .get_or_init(|| {
            std::thread::Builder::new().name("nn-gemm".into()).spawn(helper_loop).ok().map(|h| h.thread().clone())
        })
        .as_ref()
}

/// On drop: claims part 1 if nobody has (so the helper never starts it), or
/// waits for the helper to finish it, so the job outlives its use even if a
/// part panics.
struct WaitDone {
    epoch: usize,
    /// This thread claimed (and ran) part 1.
    ran_here: bool,
}

impl Drop for WaitDone {
    fn drop(&mut self) {
        let epoch = self.epoch;
        if !self.ran_here && !claim(epoch) {
            wait(|| DONE.load(Ordering::SeqCst) == epoch, SPIN_CALLER, &CALLER_SLEEPS);
            let panicked = PANICKED.swap(false, Ordering::Relaxed);
            BUSY.store(false, Ordering::Release);
            if panicked && !std::thread::panicking() {
                panic!("sgemm helper thread panicked");
            }
            return;
        }
        BUSY.store(false, Ordering::Release);
    }
}

/// Whether both threads are at work already (a product inside one half of
/// a split batch): splitting it again would only run its two parts one
/// after the other here, each packing its own copy of `b`.
pub(super) fn busy() -> bool {
    BUSY.load(Ordering::Relaxed)
}

/// Whether a small product should be split: the helper thread runs already
/// (`run2` would not start it, which allocates) and the last such call was
/// less than the helper's spin ago, so that the helper is, or stays, awake
/// (a stream of steps far apart runs on this thread alone rather than waking
/// the helper for each step and keeping it spinning).
pub(super) fn frequent() -> bool {
    static START: OnceLock<Instant> = OnceLock::new();
    static LAST: AtomicU64 = AtomicU64::new(u64::MAX);
    if HELPER.get().is_none_or(Option::is_none) {
        return false;
    }
    let now = u64::try_from(START.get_or_init(Instant::now).elapsed().as_nanos()).unwrap_or(u64::MAX);
    let last = LAST.swap(now, Ordering::Relaxed);
    now.checked_sub(last).is_some_and(|gap| gap < SPIN_HELPER.as_nanos() as u64)
}

/// Runs `f(0)` on this thread and `f(1)` on the helper, and returns when both are
/// done. Falls back to running both here if the helper is busy or could not
/// start, or has not started `f(1)` by the time `f(0)` is done.
pub(super) fn run2(f: &(dyn Fn(usize) + Sync)) {
    if BUSY.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed).is_err() {
        f(0);
        f(1);
        return;
    }
    let Some(helper) = helper() else {
        BUSY.store(false, Ordering::Release);
        f(0);
        f(1);
        return;
    };
    // SAFETY: only the lifetime is erased; `WaitDone` below blocks until the
    // helper has finished with the closure, before `f` can go out of scope.
    let job = Job(unsafe {
        std::mem::transmute::<*const (dyn Fn(usize) + Sync + '_), *const (dyn Fn(usize) + Sync + 'static)>(f)
    });
    let epoch = EPOCH.load(Ordering::Relaxed).wrapping_add(1);
    // SAFETY: we hold BUSY and the helper has finished every earlier job
    // (DONE == EPOCH), so nobody else reads or writes the slot now.
    unsafe {
        let s = &mut *SLOT.0.get();
        s.job = Some(job);
        if s.caller.as_ref().map(Thread::id) != Some(std::thread::current().id()) {
            s.caller = Some(std::thread::current());
        }
    }
    EPOCH.store(epoch, Ordering::SeqCst);
    wake(&HELPER_SLEEPS, Some(helper));
    let mut done = WaitDone { epoch, ran_here: false };
    f(0);
    if claim(epoch) {
        // The helper has not started part 1 (descheduled, or still waking):
        // running it here beats waiting for it.
        done.ran_here = true;
        f(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each part runs exactly once and before `run2` returns, whoever claims
    /// it, also with two callers racing for the helper.
    #[test]
    fn every_part_runs_once_before_return() {
        std::thread::scope(|s| {
            for t in 0..2 {
                s.spawn(move || {
                    for i in 0..20_000usize {
                        let counts = [AtomicUsize::new(0), AtomicUsize::new(0)];
                        run2(&|p: usize| {
                            // Uneven parts, so that either side finishes first.
                            if (i + p + t).is_multiple_of(3) {
                                for _ in 0..(i % 50) {
                                    std::hint::spin_loop();
                                }
                            }
                            counts[p].fetch_add(1, Ordering::Relaxed);
                        });
                        assert_eq!(counts.map(AtomicUsize::into_inner), [1, 1], "call {i}");
                    }
                });
            }
        });
    }
}
