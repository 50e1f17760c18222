/** Associated data for a receipt token wrapped under the KEK. */
export const receiptTokenContext = (receiptId: string) => `ticketvault/receipt-token/v1|${receiptId}`;
