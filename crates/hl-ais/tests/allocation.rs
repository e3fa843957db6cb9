//! Decoding a position report performs no heap allocation: a counting allocator watches the
//! hot path (parse, unarmour, decode) over real sentences.
//!
//! The only `unsafe` in the workspace: a global allocator must be an `unsafe impl`.

#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    // Per thread: the test harness allocates on its own threads meanwhile.
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

// SAFETY: forwards to the system allocator unchanged; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn position_reports_decode_without_allocating() {
    let lines: [&[u8]; 4] = [
        b"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A",
        b"!AIVDM,1,1,,A,16SteH0P00Jt63hHaa6SagvJ087r,0*42",
        b"!AIVDM,1,1,,B,25Cjtd0Oj;Jp7ilG7=UkKBoB0<06,0*60",
        b"!AIVDM,1,1,,A,38Id705000rRVJhE7cl9n;160000,0*40",
    ];
    let mut decoder = hl_ais::Decoder::default();
    // Warm up: the decoder's own buffers are created before the measured loop.
    for line in lines {
        assert!(decoder.feed(line).is_ok_and(|m| m.is_some()));
    }
    let before = allocations();
    let mut positions = 0;
    for _ in 0..10_000 {
        for line in lines {
            if let Ok(Some(decoded)) = decoder.feed(line)
                && matches!(decoded.message, hl_ais::AisMessage::Position(_))
            {
                positions += 1;
            }
        }
    }
    let after = allocations();
    assert_eq!(positions, 40_000);
    assert_eq!(after - before, 0, "allocations while decoding {positions} position reports");
}
