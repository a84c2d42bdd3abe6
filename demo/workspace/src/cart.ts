export interface CartItem {
  sku: string;
  name: string;
  unitPrice: number;
  quantity: number;
}

/** Total price of the cart in cents, after a percentage discount. */
export function cartTotal(items: CartItem[], discountPercent = 0): number {
  const subtotal = items.reduce((sum, item) => sum + item.unitPrice * item.quantity, 0);
  
}

export function formatCents(cents: number): string {
  return `$${(cents / 100).toFixed(2)}`;
}
