declare module 'sip' {
  const sip: any;
  export default sip;
}
