//! One persistent helper thread for splitting a large product in two.
//!
//! Started by the first call that wants it (that call allocates the thread);
//! afterwards handing it work is a mutex, a condition variable and a pointer, no
//! allocation. One caller at a time uses the helper; a concurrent caller runs
//! both halves itself.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};

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

/// A job with its lifetime erased; valid until the caller sees `done`.
#[derive(Clone, Copy)]
struct Job(*const (dyn Fn(usize) + Sync + 'static));
// SAFETY: the closure is `Sync`, and `run2` keeps it alive until the helper is done.
unsafe impl Send for Job {}

#[derive(Default)]
struct State {
    job: Option<Job>,
    done: bool,
    panicked: bool,
}

struct Pool {
    state: Mutex<State>,
    work: Condvar,
    done: Condvar,
}

static BUSY: AtomicBool = AtomicBool::new(false);
/// Mirrors `State::job.is_some()` / `State::done` so that both sides can spin
/// briefly on them before sleeping: products come in quick succession (a
/// training step is a dozen of them), and a futex wake-up costs more than a
/// small product's half.
static HAS_JOB: AtomicBool = AtomicBool::new(false);
static DONE: AtomicBool = AtomicBool::new(false);
/// Spin iterations (`PAUSE`, about 20 ns each on Zen 4) before sleeping.
const SPIN_HELPER: usize = 2000;
const SPIN_CALLER: usize = 4000;

fn spin_until(flag: &AtomicBool, iters: usize) {
    for _ in 0..iters {
        if flag.load(Ordering::Acquire) {
            return;
        }
        std::hint::spin_loop();
    }
}
static POOL: OnceLock<Option<&'static Pool>> = OnceLock::new();

fn lock(p: &Pool) -> MutexGuard<'_, State> {
    p.state.lock().unwrap_or_else(|e| e.into_inner())
}

fn pool() -> Option<&'static Pool> {
    *POOL.get_or_init(|| {
        let pool: &'static Pool = Box::leak(Box::new(Pool {
            state: Mutex::new(State::default()),
            work: Condvar::new(),
            done: Condvar::new(),
        }));
        let spawned = std::thread::Builder::new().name("nn-gemm".into()).spawn(move || loop {
            spin_until(&HAS_JOB, SPIN_HELPER);
            let job = {
                let mut st = lock(pool);
                loop {
                    if let Some(job) = st.job.take() {
                        HAS_JOB.store(false, Ordering::Relaxed);
                        break job;
                    }
                    st = pool.work.wait(st).unwrap_or_else(|e| e.into_inner());
                }
            };
            // SAFETY: `run2` keeps the closure alive until it sees `done`.
            let f = unsafe { &*job.0 };
            let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(1))).is_ok();
            let mut st = lock(pool);
            st.done = true;
            st.panicked = !ok;
            DONE.store(true, Ordering::Release);
            pool.done.notify_all();
        });
        spawned.ok().map(|_| pool)
    })
}

/// Waits for the helper on drop, so the job outlives its use even if part 0 panics.
struct WaitDone(&'static Pool);

impl Drop for WaitDone {
    fn drop(&mut self) {
        spin_until(&DONE, SPIN_CALLER);
        let mut st = lock(self.0);
        while !st.done {
            st = self.0.done.wait(st).unwrap_or_else(|e| e.into_inner());
        }
        let panicked = std::mem::take(&mut st.panicked);
        drop(st);
        BUSY.store(false, Ordering::Release);
        if panicked && !std::thread::panicking() {
            panic!("sgemm helper thread panicked");
        }
    }
}

/// Runs `f(0)` on this thread and `f(1)` on the helper, and returns when both are
/// done. Falls back to running both here if the helper is busy or could not start.
pub(super) fn run2(f: &(dyn Fn(usize) + Sync)) {
    if BUSY.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed).is_err() {
        f(0);
        f(1);
        return;
    }
    let Some(pool) = pool() else {
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
    {
        let mut st = lock(pool);
        st.done = false;
        DONE.store(false, Ordering::Relaxed);
        st.job = Some(job);
        HAS_JOB.store(true, Ordering::Release);
        pool.work.notify_one();
    }
    let _wait = WaitDone(pool);
    f(0);
}
