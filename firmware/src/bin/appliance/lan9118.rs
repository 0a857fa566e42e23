//! A polled driver for the SMSC LAN9118 (LAN9220 in hardware) of the MPS2
//! boards, as a smoltcp `phy::Device`: programmed I/O through its FIFOs, no
//! DMA, no interrupt, static frame buffers. Only the documented registers are
//! touched (QEMU's model aborts on any other offset).

use core::ptr::{read_volatile, write_volatile};

use smoltcp::phy::{self, DeviceCapabilities, Medium};
use smoltcp::time::Instant;

/// The MMIO base of the MPS2's LAN9118.
pub const BASE: usize = 0x4020_0000;

const RX_DATA_FIFO: usize = 0x00;
const TX_DATA_FIFO: usize = 0x20;
const RX_STATUS_FIFO: usize = 0x40;
const TX_STATUS_FIFO: usize = 0x48;
const ID_REV: usize = 0x50;
const BYTE_TEST: usize = 0x64;
const TX_CFG: usize = 0x70;
const HW_CFG: usize = 0x74;
const RX_FIFO_INF: usize = 0x7c;
const TX_FIFO_INF: usize = 0x80;
const PMT_CTRL: usize = 0x84;
const FREE_RUN: usize = 0x9c;
const MAC_CSR_CMD: usize = 0xa4;
const MAC_CSR_DATA: usize = 0xa8;

// MAC registers, reached through MAC_CSR_CMD and MAC_CSR_DATA.
const MAC_CR: u32 = 1;
const MAC_ADDRH: u32 = 2;
const MAC_ADDRL: u32 = 3;
const MAC_CR_TXEN: u32 = 1 << 3;
const MAC_CR_RXEN: u32 = 1 << 2;
const CSR_BUSY: u32 = 1 << 31;
const CSR_READ: u32 = 1 << 30;

const TX_CFG_TX_ON: u32 = 1 << 1;
/// The TX status FIFO may overrun: nothing waits for us to read it.
const TX_CFG_TXSAO: u32 = 1 << 2;
const TX_CMD_A_FIRST: u32 = 1 << 13;
const TX_CMD_A_LAST: u32 = 1 << 12;
const RX_STATUS_ERROR: u32 = 1 << 15;

/// The largest Ethernet frame (no CRC) and the 4-byte CRC the RX FIFO appends.
pub const MTU: usize = 1514;
const FRAME: usize = MTU + 4;

/// What `init` found wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitError {
    /// BYTE_TEST did not read 0x87654321: no LAN9118 at `BASE`, or the bus is wrong.
    ByteTest(u32),
    /// ID_REV is not a LAN9118/LAN9220's.
    Id(u32),
    /// The chip did not come out of reset.
    NotReady,
}

/// The chip with its receive buffer.
pub struct Lan9118 {
    rx: [u8; FRAME],
    /// The rest: what a frame being sent may touch while one received is read.
    pub chip: Chip,
}

/// The chip's transmit side, counters and clock.
pub struct Chip {
    tx: [u8; FRAME],
    /// Frames received and sent, and frames dropped for errors or size.
    pub counts: [u32; 3],
    last_tick: u32,
    /// Ticks of 40 ns not yet a whole millisecond, and the milliseconds.
    sub_ms: u32,
    ms: u64,
}

fn read(offset: usize) -> u32 {
    // SAFETY: a documented LAN9118 register of the board's MMIO window.
    unsafe { read_volatile((BASE + offset) as *const u32) }
}

fn write(offset: usize, value: u32) {
    // SAFETY: as for `read`.
    unsafe { write_volatile((BASE + offset) as *mut u32, value) }
}

fn mac_write(register: u32, value: u32) {
    while read(MAC_CSR_CMD) & CSR_BUSY != 0 {}
    write(MAC_CSR_DATA, value);
    write(MAC_CSR_CMD, CSR_BUSY | register);
    while read(MAC_CSR_CMD) & CSR_BUSY != 0 {}
}

fn mac_read(register: u32) -> u32 {
    while read(MAC_CSR_CMD) & CSR_BUSY != 0 {}
    write(MAC_CSR_CMD, CSR_BUSY | CSR_READ | register);
    while read(MAC_CSR_CMD) & CSR_BUSY != 0 {}
    read(MAC_CSR_DATA)
}

impl Lan9118 {
    /// An idle driver; [`Chip::init`] starts the chip.
    pub const fn new() -> Lan9118 {
        Lan9118 { rx: [0; FRAME], chip: Chip { tx: [0; FRAME], counts: [0; 3], last_tick: 0, sub_ms: 0, ms: 0 } }
    }
}

impl Chip {
    /// Resets the chip, sets its MAC address, turns TX and RX on.
    pub fn init(&mut self, mac: [u8; 6]) -> Result<(), InitError> {
        let test = read(BYTE_TEST);
        if test != 0x8765_4321 {
            return Err(InitError::ByteTest(test));
        }
        let id = read(ID_REV);
        if !matches!(id >> 16, 0x0118 | 0x9220) {
            return Err(InitError::Id(id));
        }
        write(HW_CFG, 1); // SRST
        let ready = (0..1_000_000).any(|_| read(HW_CFG) & 1 == 0 && read(PMT_CTRL) & 1 == 1);
        if !ready {
            return Err(InitError::NotReady);
        }
        mac_write(MAC_ADDRL, u32::from_le_bytes([mac[0], mac[1], mac[2], mac[3]]));
        mac_write(MAC_ADDRH, u32::from(mac[4]) | u32::from(mac[5]) << 8);
        // Exact filtering on our address, broadcast accepted (not promiscuous).
        mac_write(MAC_CR, (mac_read(MAC_CR) & !(1 << 18)) | MAC_CR_TXEN | MAC_CR_RXEN);
        write(TX_CFG, TX_CFG_TX_ON | TX_CFG_TXSAO);
        self.last_tick = read(FREE_RUN);
        Ok(())
    }

    /// Milliseconds since `init`, from the chip's free-running 25 MHz counter
    /// (read often enough: it wraps every 171 s).
    pub fn now_ms(&mut self) -> u64 {
        let tick = read(FREE_RUN);
        let elapsed = tick.wrapping_sub(self.last_tick);
        self.last_tick = tick;
        // 32-bit divisions (one instruction here), not a 64-bit one (a routine).
        self.sub_ms += elapsed % 25_000;
        self.ms += u64::from(elapsed / 25_000 + self.sub_ms / 25_000);
        self.sub_ms %= 25_000;
        self.ms
    }

    /// Reads one frame from the RX FIFOs into `rx`: its length without the CRC.
    fn receive_frame(&mut self, rx: &mut [u8; FRAME]) -> Option<usize> {
        while (read(RX_FIFO_INF) >> 16) & 0xff != 0 {
            let status = read(RX_STATUS_FIFO);
            let len = ((status >> 16) & 0x3fff) as usize; // the CRC included
            let words = len.div_ceil(4);
            let fits = (4 + 14..=FRAME).contains(&len) && status & RX_STATUS_ERROR == 0;
            for i in 0..words {
                let word = read(RX_DATA_FIFO).to_le_bytes();
                if fits && let Some(slot) = rx.get_mut(i * 4..i * 4 + 4) {
                    slot.copy_from_slice(&word);
                }
            }
            if fits {
                self.counts[0] += 1;
                return Some(len - 4);
            }
            self.counts[2] += 1;
        }
        None
    }

    /// Sends the first `len` bytes of `tx` as one frame.
    fn send_frame(&mut self, len: usize) {
        let len = len.min(MTU);
        write(TX_DATA_FIFO, TX_CMD_A_FIRST | TX_CMD_A_LAST | len as u32);
        write(TX_DATA_FIFO, (self.counts[1] & 0xffff) << 16 | len as u32);
        for chunk in self.tx[..len].chunks(4) {
            let mut word = [0u8; 4];
            word[..chunk.len()].copy_from_slice(chunk);
            write(TX_DATA_FIFO, u32::from_le_bytes(word));
        }
        self.counts[1] += 1;
        while (read(TX_FIFO_INF) >> 16) & 0xff != 0 {
            let _ = read(TX_STATUS_FIFO); // drained, so it never fills
        }
    }

    fn tx_room(&self) -> bool {
        read(TX_FIFO_INF) & 0xffff >= (FRAME + 8) as u32
    }
}

/// A frame read from the chip.
pub struct Rx<'a>(&'a [u8]);

/// The chip's TX FIFO, ready for a frame.
pub struct Tx<'a>(&'a mut Chip);

impl phy::RxToken for Rx<'_> {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(self.0)
    }
}

impl phy::TxToken for Tx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let len = len.min(MTU);
        let result = f(&mut self.0.tx[..len]);
        self.0.send_frame(len);
        result
    }
}

impl phy::Device for Lan9118 {
    type RxToken<'a> = Rx<'a>;
    type TxToken<'a> = Tx<'a>;

    fn receive(&mut self, _: Instant) -> Option<(Rx<'_>, Tx<'_>)> {
        let len = self.chip.receive_frame(&mut self.rx)?;
        Some((Rx(&self.rx[..len]), Tx(&mut self.chip)))
    }

    fn transmit(&mut self, _: Instant) -> Option<Tx<'_>> {
        self.chip.tx_room().then_some(Tx(&mut self.chip))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = MTU;
        caps.max_burst_size = Some(1);
        caps
    }
}
