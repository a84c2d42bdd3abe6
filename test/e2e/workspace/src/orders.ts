export interface OrderLine {
  sku: string;
  quantity: number;
  unitPrice: number;
}

export interface Order {
  id: string;
  customer: string;
  lines: OrderLine[];
  discountPercent?: number;
}

/** Sum of quantity × unit price over every line, before any discount. */
export function subtotal(order: Order): number {
  return order.lines.reduce((sum, line) => sum + line.quantity * line.unitPrice, 0);
}

/** The amount the customer pays, rounded to cents. */
export function total(order: Order): number {
  const discount = order.discountPercent ?? 0;
  return Math.round(subtotal(order) * (100 - discount)) / 100;
}

export function largestLine(order: Order): OrderLine | undefined {
  let best: OrderLine | undefined;
  for (const line of order.lines) {
    
  }
  return best;
}
