// 8259A set-up: ICW1-ICW4 in the classic PC/AT cascade (slave on IRQ 2).
#include <kernel/arch/x86/io.h>
#include <kernel/arch/x86/pic.h>

constexpr u16 PIC1_COMMAND = 0x20, PIC1_DATA = 0x21;
constexpr u16 PIC2_COMMAND = 0xA0, PIC2_DATA = 0xA1;
constexpr u8 ICW1_INIT_WITH_ICW4 = 0x11; // edge triggered, cascade, ICW4 follows
constexpr u8 ICW4_8086 = 0x01;
constexpr u8 OCW2_EOI = 0x20;
constexpr u8 OCW3_READ_ISR = 0x0B;

using namespace x86;

// The masks the BIOS had set, read before pic_init() reprograms the PICs.
static PicMasks s_bios_masks { 0xB8, 0x8F }; // a typical BIOS's, until pic_init() reads the real ones
constexpr u8 KERNEL_MASTER_VECTOR = 32; // IRQ_BASE_VECTOR (descriptors.h): clear of the exceptions
constexpr u8 KERNEL_SLAVE_VECTOR = 40;
constexpr u8 BIOS_MASTER_VECTOR = 0x08; // IBM PC/AT: IRQ 0-7 at INT 08h-0Fh
constexpr u8 BIOS_SLAVE_VECTOR = 0x70;  // IRQ 8-15 at INT 70h-77h

static void program(u8 master_vector, u8 slave_vector)
{
    outb(PIC1_COMMAND, ICW1_INIT_WITH_ICW4);
    io_wait();
    outb(PIC2_COMMAND, ICW1_INIT_WITH_ICW4);
    io_wait();
    outb(PIC1_DATA, master_vector); // ICW2: vector base of IRQ 0-7
    io_wait();
    outb(PIC2_DATA, slave_vector); // ICW2: vector base of IRQ 8-15
    io_wait();
    outb(PIC1_DATA, 1 << 2); // ICW3: a slave on IRQ 2
    io_wait();
    outb(PIC2_DATA, 2); // ICW3: the slave's cascade identity
    io_wait();
    outb(PIC1_DATA, ICW4_8086);
    io_wait();
    outb(PIC2_DATA, ICW4_8086);
    io_wait();
}

void pic_init()
{
    s_bios_masks = { inb(PIC1_DATA), inb(PIC2_DATA) };
    program(KERNEL_MASTER_VECTOR, KERNEL_SLAVE_VECTOR);
    outb(PIC1_DATA, 0xFF & ~(1 << 2)); // everything masked but the cascade
    outb(PIC2_DATA, 0xFF);
}

PicMasks pic_enter_bios_mode()
{
    PicMasks kernel_masks { inb(PIC1_DATA), inb(PIC2_DATA) };
    program(BIOS_MASTER_VECTOR, BIOS_SLAVE_VECTOR);
    outb(PIC1_DATA, s_bios_masks.master);
    outb(PIC2_DATA, s_bios_masks.slave);
    return kernel_masks;
}

void pic_leave_bios_mode(PicMasks kernel_masks)
{
    s_bios_masks = { inb(PIC1_DATA), inb(PIC2_DATA) }; // the BIOS may have unmasked a controller's IRQ
    program(KERNEL_MASTER_VECTOR, KERNEL_SLAVE_VECTOR);
    outb(PIC1_DATA, kernel_masks.master);
    outb(PIC2_DATA, kernel_masks.slave);
}

void pic_unmask(u8 irq)
{
    u16 port = irq < 8 ? PIC1_DATA : PIC2_DATA;
    outb(port, inb(port) & ~(1 << (irq & 7)));
}

void pic_mask(u8 irq)
{
    u16 port = irq < 8 ? PIC1_DATA : PIC2_DATA;
    outb(port, inb(port) | (1 << (irq & 7)));
}

void pic_end_of_interrupt(u8 irq)
{
    if (irq >= 8)
        outb(PIC2_COMMAND, OCW2_EOI);
    outb(PIC1_COMMAND, OCW2_EOI);
}

bool pic_is_spurious(u8 irq)
{
    if (irq != 7 && irq != 15)
        return false;
    u16 command = irq == 7 ? PIC1_COMMAND : PIC2_COMMAND;
    outb(command, OCW3_READ_ISR);
    if (inb(command) & 0x80)
        return false;
    if (irq == 15)
        outb(PIC1_COMMAND, OCW2_EOI); // the master did see the cascade interrupt
    return true;
}
