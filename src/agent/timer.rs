//! Sleeping until a wall-clock deadline, robust to suspend/resume and clock jumps.
//!
//! On Linux a `timerfd` on `CLOCK_REALTIME` with an absolute deadline fires at the right
//! wall-clock time even when the machine slept through it (the kernel fires expired
//! realtime timers at resume), and `TFD_TIMER_CANCEL_ON_SET` wakes it when the clock is
//! set, so the agent re-plans at once. Elsewhere a monotonic sleep capped at
//! [`FALLBACK_CAP`] bounds how late a deadline can be after a suspend.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Utc};

/// The longest monotonic sleep where no wall-clock timer is available.
pub const FALLBACK_CAP: StdDuration = StdDuration::from_secs(60);

/// Why a sleep ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// The deadline passed.
    Deadline,
    /// The wall clock was set (a jump); deadlines must be recomputed.
    ClockChanged,
}

/// A wall-clock timer.
pub struct WallTimer {
    #[cfg(target_os = "linux")]
    fd: tokio::io::unix::AsyncFd<std::os::fd::OwnedFd>,
}

#[cfg(target_os = "linux")]
impl WallTimer {
    /// Creates the timer.
    pub fn new() -> std::io::Result<WallTimer> {
        use std::os::fd::FromRawFd;
        // SAFETY: timerfd_create has no memory-safety preconditions; the result is checked.
        let raw = unsafe {
            libc::timerfd_create(libc::CLOCK_REALTIME, libc::TFD_NONBLOCK | libc::TFD_CLOEXEC)
        };
        if raw < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `raw` is a freshly created descriptor that nothing else owns.
        let owned = unsafe { std::os::fd::OwnedFd::from_raw_fd(raw) };
        // SAFETY: the OwnedFd is moved into the AsyncFd, which keeps it open and unchanged
        // for its whole lifetime.
        let fd = unsafe {
            tokio::io::unix::AsyncFd::register_with_interest(owned, tokio::io::Interest::READABLE)
        }
        .map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok(WallTimer { fd })
    }

    fn arm(&self, deadline: DateTime<Utc>) -> std::io::Result<()> {
        use std::os::fd::AsRawFd;
        let secs = deadline.timestamp().max(0);
        let nanos = i64::from(deadline.timestamp_subsec_nanos());
        // An all-zero it_value disarms the timer; keep at least one nanosecond.
        let nanos = if secs == 0 && nanos == 0 { 1 } else { nanos };
        let spec = libc::itimerspec {
            it_interval: libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            },
            it_value: libc::timespec {
                tv_sec: secs as libc::time_t,
                tv_nsec: nanos as libc::c_long,
            },
        };
        // SAFETY: the descriptor is a valid timerfd and `spec` a valid itimerspec.
        let rc = unsafe {
            libc::timerfd_settime(
                self.fd.as_raw_fd(),
                libc::TFD_TIMER_ABSTIME | libc::TFD_TIMER_CANCEL_ON_SET,
                &spec,
                std::ptr::null_mut(),
            )
        };
        if rc < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }

    /// Sleeps until `deadline` (wall clock) or a clock change.
    pub async fn sleep_until(&self, deadline: DateTime<Utc>) -> std::io::Result<Wake> {
        use std::os::fd::AsRawFd;
        self.arm(deadline)?;
        loop {
            let mut guard = self.fd.readable().await?;
            let mut buf = [0u8; 8];
            // SAFETY: reading 8 bytes into an 8-byte buffer from a valid descriptor.
            let n = unsafe { libc::read(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n == 8 {
                return Ok(Wake::Deadline);
            }
            let err = std::io::Error::last_os_error();
            match err.raw_os_error() {
                Some(libc::ECANCELED) => return Ok(Wake::ClockChanged),
                Some(libc::EAGAIN) => guard.clear_ready(),
                _ => return Err(err),
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
impl WallTimer {
    /// Creates the timer.
    pub fn new() -> std::io::Result<WallTimer> {
        Ok(WallTimer {})
    }

    /// Sleeps until `deadline`, or at most [`FALLBACK_CAP`] (the caller re-plans either way).
    pub async fn sleep_until(&self, deadline: DateTime<Utc>) -> std::io::Result<Wake> {
        let left = (deadline - Utc::now())
            .to_std()
            .unwrap_or(StdDuration::ZERO);
        tokio::time::sleep(left.min(FALLBACK_CAP)).await;
        Ok(Wake::Deadline)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn fires_at_a_wall_clock_deadline() {
        let timer = WallTimer::new().unwrap();
        let start = Utc::now();
        let wake = timer
            .sleep_until(start + chrono::Duration::milliseconds(150))
            .await
            .unwrap();
        assert_eq!(wake, Wake::Deadline);
        assert!(Utc::now() >= start + chrono::Duration::milliseconds(150));
    }

    #[tokio::test]
    async fn a_past_deadline_fires_at_once() {
        let timer = WallTimer::new().unwrap();
        let wake = tokio::time::timeout(
            StdDuration::from_secs(2),
            timer.sleep_until(Utc::now() - chrono::Duration::hours(1)),
        )
        .await
        .expect("a past deadline must not hang")
        .unwrap();
        assert_eq!(wake, Wake::Deadline);
    }
}
