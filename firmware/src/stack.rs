//! Stack painting, shared by the firmwares: fill the unused stack below the
//! current frame with a byte, run something, and count how much of it was
//! overwritten. `BYTES` is how far below the stack pointer to paint (RAM is
//! 4 MiB, the stacks measured are tens of KiB at most).

const PAINT: u8 = 0xa5;

/// Fills `BYTES` bytes below the stack pointer with `PAINT`: the stack
/// pointer, for [`high_water`].
#[inline(never)]
pub fn paint<const BYTES: usize>() -> usize {
    let sp = cortex_m::register::msp::read() as usize;
    for address in sp - BYTES..sp - 64 {
        // SAFETY: unused stack below the current frame.
        unsafe { core::ptr::write_volatile(address as *mut u8, PAINT) };
    }
    sp
}

/// Bytes of stack used below `sp` since [`paint`].
#[inline(never)]
pub fn high_water<const BYTES: usize>(sp: usize) -> usize {
    // SAFETY: the painted region, read back.
    let untouched =
        (sp - BYTES..sp).take_while(|&a| unsafe { core::ptr::read_volatile(a as *const u8) } == PAINT).count();
    BYTES - untouched
}
